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
	r := NewReader(bytes.NewReader(doc))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(bytes.NewReader(doc))
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

// BenchmarkTokenizer measures the tokenizer alone; -benchmem shows 0 allocs/op: nothing per token.
func BenchmarkTokenizer(b *testing.B) {
	doc := benchDoc()
	b.SetBytes(int64(len(doc)))
	var s scanner
	b.ReportAllocs()
	tokens := 0
	for b.Loop() {
		s.reset(bytes.NewReader(doc), defaultWindow)
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
