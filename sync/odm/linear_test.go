package odm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// linearShapes build documents of at least n bytes, each stressing one way a reader's work can grow
// faster than its input: many or long names, attributes, values, declarations, nesting, tokens or
// structure errors. Each is well-formed, so it is read to its end.
var linearShapes = []struct {
	name   string
	build  func(n int) []byte
	blocks bool // the document is made of bad blocks
}{
	{"Rave export", func(n int) []byte {
		var b bytes.Buffer
		if _, err := WriteSynthetic(&b, int64(n), 3); err != nil {
			panic(err)
		}
		return b.Bytes()
	}, false},
	{"many tiny elements", func(n int) []byte {
		return wrapODM(n, "<x:e xmlns:x='urn:x'>", func(b *strings.Builder) { b.WriteString("<a/>") }, "</x:e>")
	}, false},
	{"deep nesting, repeatedly", func(n int) []byte {
		deep := strings.Repeat("<x>", 990) + "text" + strings.Repeat("</x>", 990)
		return wrapODM(n, "", func(b *strings.Builder) { b.WriteString(deep) }, "")
	}, false},
	{"many small tokens at depth", func(n int) []byte {
		return wrapODM(n, strings.Repeat("<x>", 990), func(b *strings.Builder) { b.WriteString("<y/>t<!--c-->") },
			strings.Repeat("</x>", 990))
	}, false},
	{"many attributes", func(n int) []byte {
		i := 0
		return wrapODM(n, `<ClinicalData StudyOID="S"><SubjectData SubjectKey="1"`,
			func(b *strings.Builder) { fmt.Fprintf(b, " a%d='v'", i); i++ }, "/></ClinicalData>")
	}, false},
	{"many prefixed attributes", func(n int) []byte {
		i := 0
		return wrapODM(n, `<ClinicalData StudyOID="S"><SubjectData SubjectKey="1"`,
			func(b *strings.Builder) { fmt.Fprintf(b, " mdsol:a%d='v'", i); i++ }, "/></ClinicalData>")
	}, false},
	{"many declarations, then prefixed names", func(n int) []byte {
		var b strings.Builder
		b.WriteString(`<ODM xmlns="` + uriODM + `"`)
		for i := 0; b.Len() < n/2; i++ {
			fmt.Fprintf(&b, ` xmlns:p%d="urn:%d"`, i, i)
		}
		b.WriteString(`><x:e xmlns:x="urn:x">`)
		for b.Len() < n {
			b.WriteString(`<p0:a p1:a="" p2:a="" p3:a=""/>`)
		}
		b.WriteString(`</x:e></ODM>`)
		return []byte(b.String())
	}, false},
	{"one tag, many prefixes, same local name", func(n int) []byte {
		var b strings.Builder
		b.WriteString(`<ODM xmlns="` + uriODM + `"><x:e xmlns:x="urn:x"`)
		for i := 0; b.Len() < n; i++ {
			fmt.Fprintf(&b, ` xmlns:p%d="urn:%d" p%d:a=""`, i, i, i)
		}
		b.WriteString(`/></ODM>`)
		return []byte(b.String())
	}, false},
	{"nested redeclarations", func(n int) []byte {
		var b strings.Builder
		b.WriteString(`<ODM xmlns="` + uriODM + `">`)
		for b.Len() < n {
			for d := 0; d < 50; d++ {
				fmt.Fprintf(&b, `<q:e xmlns="urn:d%d" xmlns:q="urn:q%d" xmlns:r%d="urn:r">`, d, d, d)
			}
			b.WriteString(`<q:leaf r3:a=""/>`)
			b.WriteString(strings.Repeat("</q:e>", 50))
		}
		b.WriteString(`</ODM>`)
		return []byte(b.String())
	}, false},
	{"long attribute value", func(n int) []byte {
		return wrapODM(n, `<x:e xmlns:x='urn:x' v="`, func(b *strings.Builder) { b.WriteString("abc\tdef&amp;&#233;") }, `"/>`)
	}, false},
	{"long names", func(n int) []byte {
		name := "e" + strings.Repeat("x", n/2)
		return []byte(`<ODM xmlns="` + uriODM + `"><` + name + ` ` + name + `="1"></` + name + `></ODM>`)
	}, false},
	{"long text with references", func(n int) []byte {
		return wrapODM(n, `<x:e xmlns:x='urn:x'>`, func(b *strings.Builder) { b.WriteString("a&lt;b&#x10000;\r\n]") }, `</x:e>`)
	}, false},
	{"long comment, CDATA and PI", func(n int) []byte {
		var b strings.Builder
		b.WriteString(`<ODM xmlns="` + uriODM + `"><x:e xmlns:x='urn:x'><!--`)
		b.WriteString(strings.Repeat("-x", n/6))
		b.WriteString(`--><![CDATA[`)
		b.WriteString(strings.Repeat("]]", n/6))
		b.WriteString(`]]><?pi `)
		b.WriteString(strings.Repeat("??", n/6))
		b.WriteString(`?></x:e></ODM>`)
		return []byte(b.String())
	}, false},
	{"many bad blocks", func(n int) []byte {
		return wrapODM(n, `<ClinicalData StudyOID="S">`, func(b *strings.Builder) { b.WriteString("<SubjectData/>\n") },
			`</ClinicalData>`)
	}, true},
	{"many bad blocks on one line", func(n int) []byte {
		return wrapODM(n, `<ClinicalData StudyOID="S">`,
			func(b *strings.Builder) { b.WriteString(`<SubjectData SubjectKey="é">x</SubjectData>`) }, `</ClinicalData>`)
	}, true},
}

// wrapODM repeats part inside an ODM root until the document has n bytes.
func wrapODM(n int, head string, part func(*strings.Builder), tail string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?>` + "\n" + `<ODM xmlns="` + uriODM + `" xmlns:mdsol="` + uriMdsol + `">` + head)
	for b.Len() < n {
		part(&b)
	}
	b.WriteString(tail + `</ODM>`)
	return []byte(b.String())
}

// stepsToRead reads doc to its end and returns the reader's work beyond one pass over the input.
func stepsToRead(t *testing.T, doc []byte, wantBlocks bool, opts ...Option) int64 {
	t.Helper()
	r := NewReader(bytes.NewReader(doc), opts...)
	blocks := 0
	for {
		_, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if IsBlockError(err) {
			blocks++
			continue
		}
		if err != nil {
			t.Fatalf("%d bytes: %v", len(doc), err)
		}
	}
	if wantBlocks != (blocks > 0) {
		t.Fatalf("%d bytes: %d bad blocks", len(doc), blocks)
	}
	return r.s.w.steps
}

// TestLinearWork: reading n bytes takes O(n) work whatever their shape, counted (not timed) as the
// tokenizer's steps beyond the single pass over the input: going from 64 KiB to 1 MiB of each shape, the
// steps per byte must not grow. Both sizes are many windows long, so that refills and slides are in
// their steady state; the 37-byte window makes every token straddle a refill and open elements' names
// leave the window, with fragment capture holding blocks on top.
func TestLinearWork(t *testing.T) {
	const small, large = 64 << 10, 1 << 20
	configs := []struct {
		name string
		opts []Option
	}{
		{"4 KiB window", []Option{BufferSize(4 << 10), MaxTokenSize(4 << 20)}},
		{"37-byte window, capture", []Option{BufferSize(37), CaptureFragments(BlockSubject), MaxTokenSize(4 << 20)}},
	}
	for _, shape := range linearShapes {
		for _, c := range configs {
			t.Run(shape.name+"/"+c.name, func(t *testing.T) {
				ds, dl := shape.build(small), shape.build(large)
				per := func(doc []byte) float64 {
					return float64(stepsToRead(t, doc, shape.blocks, c.opts...)) / float64(len(doc))
				}
				ps, pl := per(ds), per(dl)
				t.Logf("steps per byte: %.3f at %d bytes, %.3f at %d bytes", ps, len(ds), pl, len(dl))
				if pl > 1.25*ps+0.5 || pl > 64 {
					t.Fatalf("steps per byte grow with the input: %.3f at %d bytes, %.3f at %d bytes", ps, len(ds), pl, len(dl))
				}
			})
		}
	}
}
