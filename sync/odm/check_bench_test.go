package odm

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// BenchmarkCheck measures the UTF-8 and character check of the window alone.
func BenchmarkCheck(b *testing.B) {
	doc := benchDoc()
	b.SetBytes(int64(len(doc)))
	var w window
	w.buf = doc
	defer reportCPU(b, int64(len(doc)), cpuNanos())
	for b.Loop() {
		w.lim, w.end, w.bad = 0, len(doc), nil
		w.check()
		if w.lim != len(doc) {
			b.Fatal(w.bad)
		}
	}
}

// TestCtlNotLF checks the word-at-a-time test against the byte-at-a-time one, for every byte value
// below 0x80 in every position of a word.
func TestCtlNotLF(t *testing.T) {
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 0x80; c++ {
			for _, fill := range []uint64{0x4141414141414141, 0x0a0a0a0a0a0a0a0a, 0x2020202020202020, 0x7f7f7f7f7f7f7f7f} {
				x := fill&^(0xff<<(8*pos)) | uint64(c)<<(8*pos)
				var want uint64
				for k := 0; k < 8; k++ {
					if b := byte(x >> (8 * k)); b < 0x20 && b != '\n' {
						want |= 0x80 << (8 * k)
					}
				}
				if got := ctlNotLF(x); got != want {
					t.Fatalf("ctlNotLF(%#016x) = %#016x, want %#016x", x, got, want)
				}
			}
		}
	}
}

// TestScanWords checks the word-at-a-time (or, with GOEXPERIMENT=simd, 32-byte) scans of attribute
// values and text against the byte-at-a-time loops, with every byte value the window's check lets
// through at every position, after runs of ordinary and non-ASCII bytes.
func TestScanWords(t *testing.T) {
	for _, fill := range []byte{'a', 0x80, 0xff, ' ', '0'} {
		for _, n := range []int{0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 19, 31, 32, 33, 40, 63, 64, 65} { // word and block edges
			for pos := 0; pos <= n; pos++ {
				for c := 0; c < 256; c++ {
					if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
						continue // the window's check never lets these through
					}
					b := bytes.Repeat([]byte{fill}, n)
					if pos < n {
						b[pos] = byte(c)
					}
					for from := 0; from <= 2 && from <= n; from++ {
						want := from
						for want < len(b) && class[b[want]]&(cAttrSpecial|cQuote) == 0 {
							want++
						}
						if got := scanAttrValue(b, from); got != want {
							t.Fatalf("scanAttrValue(%q, %d) = %d, want %d", b, from, got, want)
						}
						want = from
						for want < len(b) && class[b[want]]&(cTextSpecial|cLT) == 0 {
							want++
						}
						if got := scanText(b, from); got != want {
							t.Fatalf("scanText(%q, %d) = %d, want %d", b, from, got, want)
						}
					}
				}
			}
		}
	}
}

// TestCheckReference checks the window's check against a rune-at-a-time reading of XML 1.0's Char
// production, on random mixes of ASCII, the three allowed control characters, the forbidden ones,
// two-, three- and four-byte sequences, U+FFFE and broken UTF-8, in every alignment.
func TestCheckReference(t *testing.T) {
	pieces := [][]byte{[]byte("abcdefgh"), []byte("<a b='c'>"), {'\n'}, {'\t'}, {'\r'}, {0x01}, {0x1f}, {0x7f},
		[]byte("é"), []byte("日本"), []byte("😀"), []byte("\uFFFD"), []byte("\uFFFE"), {0xC0, 0x80}, {0xE0, 0x80},
		{0xFF}, {0x80}, []byte("        ")}
	rng := rand.New(rand.NewPCG(3, 5))
	for round := 0; round < 20000; round++ {
		var doc []byte
		for k := rng.IntN(12); k >= 0; k-- {
			doc = append(doc, pieces[rng.IntN(len(pieces))]...)
		}
		// the reference: the end of the valid prefix
		want := 0
		for want < len(doc) {
			r, n := utf8.DecodeRune(doc[want:])
			if (r == utf8.RuneError && n == 1) || !isXMLChar(r) {
				break
			}
			want += n
		}
		var w window
		w.buf, w.end = doc, len(doc)
		w.check()
		if w.lim != want || (w.bad == nil) != (want == len(doc)) {
			t.Fatalf("%q: checked up to %d (error %v), want %d", doc, w.lim, w.bad, want)
		}
	}
}

// TestSkipSpace checks the word-at-a-time white-space skip against a byte loop, for every byte value
// the window's check lets through at every position after runs of white space.
func TestSkipSpace(t *testing.T) {
	for _, fill := range []byte{' ', '\n', '\t', '\r'} {
		for n := 0; n < 20; n++ {
			for pos := 0; pos <= n; pos++ {
				for c := 0; c < 256; c++ {
					if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
						continue
					}
					b := bytes.Repeat([]byte{fill}, n)
					if pos < n {
						b[pos] = byte(c)
					}
					want := 0
					for want < len(b) && isSpace(b[want]) {
						want++
					}
					if got := skipSpace(b, 0); got != want {
						t.Fatalf("skipSpace(%q) = %d, want %d", b, got, want)
					}
				}
			}
		}
	}
}
