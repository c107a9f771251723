package odm

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// internVocabulary holds names that trip guesses: prefixes of one another, the longest kept length and
// one more, prefixed names, one letter, digits and dots.
var internVocabulary = []string{"ItemData", "ItemDataString", "ItemDat", "Item", "I", "ItemGroupData", "a.b-c_d9",
	"p:ItemData", "p:Item", "q:ItemData", strings.Repeat("n", maxNameLen), strings.Repeat("n", maxNameLen+1),
	strings.Repeat("n", maxNameLen-1), "x" + strings.Repeat("y", 15), "Value", "Values", "ValueX", "Itemä", "Valueé"}

// randomTags writes a well-formed document of elements and attributes drawn from vocab, in varying
// orders and spellings (white space around '=', either quote), so that the kept names are guessed
// right, guessed wrong by a byte or by a longer name, and not kept at all.
func randomTags(rng *rand.Rand, vocab []string, n int) []byte {
	var b strings.Builder
	b.WriteString(`<root xmlns:p="urn:p" xmlns:q="urn:q">`)
	for k := 0; k < n; k++ {
		name := vocab[rng.IntN(len(vocab))]
		b.WriteString("\n<" + name)
		used := map[string]bool{}
		for a := rng.IntN(5); a > 0; a-- {
			an := vocab[rng.IntN(len(vocab))]
			if used[an] {
				continue
			}
			used[an] = true
			eq := []string{"=", " = ", "\t="}[rng.IntN(3)]
			q := []string{`"`, `'`}[rng.IntN(2)]
			fmt.Fprintf(&b, " %s%s%s%d%s", an, eq, q, k, q)
		}
		if rng.IntN(2) == 0 {
			b.WriteString("/>")
		} else {
			b.WriteString(">t</" + name + ">")
		}
	}
	b.WriteString("</root>")
	return []byte(b.String())
}

// tokensOf lists the start tags, their attributes in order, and the end tags, as the scanner sees them.
func tokensOf(t *testing.T, s *scanner, doc []byte, size int) []string {
	t.Helper()
	s.reset(bytes.NewReader(doc), size)
	var out []string
	for {
		if err := s.next(); err != nil {
			t.Fatalf("window %d: %v", size, err)
		}
		switch s.kind {
		case tokEOF:
			return out
		case tokStart:
			line := "<" + string(s.qname)
			for _, a := range s.attrList() {
				line += fmt.Sprintf(" %s=%q", s.aname(&a), s.aval(&a))
				if want := attrCodeOf(s.alocal(&a)); a.code != want {
					t.Fatalf("window %d: attribute %s has code %d, want %d", size, s.aname(&a), a.code, want)
				}
			}
			if want := odmElem(s.local); s.elem != want {
				t.Fatalf("window %d: element %s has code %d, want %d", size, s.qname, s.elem, want)
			}
			out = append(out, line)
			if s.selfClose {
				out = append(out, "</"+string(s.qname))
			}
		case tokEnd:
			out = append(out, "</"+string(s.qname))
		}
	}
}

// TestInternedNames reads documents whose names defeat the scanner's guesses in every way and checks
// every name and value against encoding/xml, with kept names carried from one document to the next,
// in windows from tiny to large, and with the table of kept names full.
func TestInternedNames(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 17))
	var full scanner
	for k := 0; k < maxNames+10; k++ { // fill the table, then read with it full
		full.reset(bytes.NewReader(nil), 64)
		full.intern([]byte(fmt.Sprintf("filler%d", k)), -1)
	}
	if len(full.lex) != maxNames {
		t.Fatalf("%d names kept, want %d", len(full.lex), maxNames)
	}
	var kept scanner
	for doc := 0; doc < 200; doc++ {
		data := randomTags(rng, internVocabulary, 60)
		var want []string
		d := xml.NewDecoder(bytes.NewReader(data))
		for {
			tok, err := d.RawToken()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("encoding/xml: %v", err)
			}
			qname := func(n xml.Name) string {
				if n.Space != "" {
					return n.Space + ":" + n.Local
				}
				return n.Local
			}
			switch tt := tok.(type) {
			case xml.StartElement:
				line := "<" + qname(tt.Name)
				for _, a := range tt.Attr {
					line += fmt.Sprintf(" %s=%q", qname(a.Name), a.Value)
				}
				want = append(want, line)
			case xml.EndElement:
				want = append(want, "</"+qname(tt.Name))
			}
		}
		for _, size := range []int{19, 61, 4096} {
			for _, c := range []struct {
				name string
				s    *scanner
			}{{"fresh", new(scanner)}, {"kept", &kept}, {"full", &full}} {
				got := tokensOf(t, c.s, data, size)
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Fatalf("document %d, window %d, %s table: tokens differ from encoding/xml\n got: %q\nwant: %q",
						doc, size, c.name, got, want)
				}
			}
		}
	}
	if len(kept.lex) < 10 {
		t.Fatalf("only %d names kept: the guesses were not exercised", len(kept.lex))
	}
}
