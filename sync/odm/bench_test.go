package odm

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"
)

var benchDoc = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	if _, err := WriteSynthetic(&b, 32<<20, 1); err != nil {
		panic(err)
	}
	return b.Bytes()
})

// BenchmarkReader measures row extraction, the figure `trialsync odm bench` reports at scale.
func BenchmarkReader(b *testing.B) {
	doc := benchDoc()
	b.SetBytes(int64(len(doc)))
	src := bytes.NewReader(doc)
	r := NewReader(src)
	b.ReportAllocs()
	defer reportCPU(b, int64(len(doc)), cpuNanos())
	for b.Loop() {
		src.Reset(doc)
		r.Reset(src)
		for {
			_, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// reportCPU reports MB per CPU-second (user + system time of the whole process, which on a shared
// machine is fairer than the wall clock) since cpu0; the benchmark loop ran b.N times over n bytes.
func reportCPU(b *testing.B, n int64, cpu0 int64) {
	if d := cpuNanos() - cpu0; d > 0 && cpu0 > 0 {
		b.ReportMetric(float64(n)*float64(b.N)/1e6/(float64(d)/1e9), "MB/cpu-s")
	}
}

// BenchmarkTokenizer measures the tokenizer alone over the whole document; -benchmem shows 0 allocs/op,
// so nothing is allocated per token (one warm-up pass grows the buffers first).
func BenchmarkTokenizer(b *testing.B) {
	doc := benchDoc()
	b.SetBytes(int64(len(doc)))
	var s scanner
	src := bytes.NewReader(doc)
	b.ReportAllocs()
	defer reportCPU(b, int64(len(doc)), cpuNanos())
	tokens := 0
	for pass := 0; ; pass++ {
		if pass > 0 && !b.Loop() {
			break
		}
		src.Reset(doc)
		s.reset(src, defaultWindow)
		tokens = 0
		for {
			if err := s.next(); err != nil {
				b.Fatal(err)
			}
			if s.kind == tokEOF {
				break
			}
			tokens++
		}
	}
	b.ReportMetric(float64(tokens), "tokens/op")
}

// TestTokenizerAllocs: once its buffers have grown, the tokenizer allocates nothing, per token or per
// document; the Reader allocates nothing per row.
func TestTokenizerAllocs(t *testing.T) {
	var b bytes.Buffer
	if _, err := WriteSynthetic(&b, 1<<20, 2); err != nil {
		t.Fatal(err)
	}
	doc := b.Bytes()
	src := bytes.NewReader(doc)
	var s scanner
	tokens := 0
	pass := func() {
		src.Reset(doc)
		s.reset(src, 64<<10)
		tokens = 0
		for s.next() == nil && s.kind != tokEOF {
			tokens++
		}
	}
	pass()
	if n := testing.AllocsPerRun(3, pass); n != 0 {
		t.Fatalf("%.1f allocations per pass over %d tokens", n, tokens)
	}
	r := NewReader(src)
	rows := 0
	read := func() {
		src.Reset(doc)
		r.Reset(src)
		rows = 0
		for {
			if _, err := r.Next(); err != nil {
				break
			}
			rows++
		}
	}
	read()
	// per document: sniffing the encoding (a small buffer and a reader); nothing per row
	if n := testing.AllocsPerRun(3, read); n > 5 {
		t.Fatalf("%.1f allocations per document of %d rows", n, rows)
	}
}
