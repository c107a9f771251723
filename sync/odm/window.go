package odm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"unicode/utf8"
)

// window is the sliding buffer the tokenizer scans. buf[:lim] has been read and checked (valid UTF-8,
// only XML 1.0 characters); buf[lim:end] has been read but not yet checked (at most a rune cut by the
// read boundary, or the byte that failed the check). Bytes before the current token, and before keep,
// are dropped when more room is needed, so memory stays at the buffer size however long the input is.
type window struct {
	src  io.Reader
	buf  []byte
	pos  int   // next byte to scan
	lim  int   // end of the checked bytes
	end  int   // end of the bytes read
	base int64 // offset of buf[0] in the input
	eof  bool  // src is exhausted
	rerr error // read error other than io.EOF, reported when the scanner reaches it
	bad  error // check failure at buf[lim], reported when the scanner reaches it

	// keep, when >= 0, is an input offset that must stay in the buffer (the start of a block whose raw
	// bytes may be wanted); alt is where keep may move to when holding it would pass maxKeep.
	keep, alt int64
	maxKeep   int
	maxToken  int

	onDrop func(limit int64) // called before bytes up to input offset limit are dropped

	rejectFFFD bool // the input was transcoded from a legacy encoding: U+FFFD marks an undecodable byte
	asciiOnly  bool // the document declares US-ASCII

	// Position of the dropped bytes, for line and column numbers.
	lines   int   // '\n' before base
	colRune int   // characters since the last '\n' before base
	lastNL  int64 // offset of the last '\n' before base, -1 if none

	// The last position computed, so that the next one (block errors come in input order) counts lines
	// from there instead of from the start of the window.
	memoAt   int64 // input offset, -1 if none
	memoLine int
	memoCol  int

	// steps counts the work that is not the single pass over the input: bytes scanned again after a
	// refill, moved when the window slides or counted for a position, and the probes of the tokenizer's
	// indexes. Every loop whose trip count is not bounded by the bytes of the token it consumes adds
	// its iterations here, so that a test can check that reading n bytes of any shape takes O(n) steps.
	steps int64
}

const (
	defaultWindow   = 256 << 10
	defaultMaxToken = 16 << 20
	defaultMaxKeep  = 8 << 20
)

func (w *window) reset(src io.Reader, size int) {
	if cap(w.buf) < size {
		w.buf = make([]byte, size)
	}
	w.buf = w.buf[:cap(w.buf)]
	w.src = src
	w.pos, w.lim, w.end, w.base = 0, 0, 0, 0
	w.eof, w.rerr, w.bad = false, nil, nil
	w.keep, w.alt = -1, -1
	w.lines, w.colRune, w.lastNL = 0, 0, -1
	w.memoAt = -1
	w.steps = 0
	w.rejectFFFD, w.asciiOnly = false, false
}

// errNeedMore is never returned to callers: scanners return it when a token runs past lim.
var errNeedMore = errors.New("odm: internal: need more input")

// more makes more checked bytes available after lim, keeping buf[from:] (the token being scanned).
// It returns io.EOF when the input is exhausted and everything read has been checked, or the read or
// check error waiting at lim.
func (w *window) more(from int) error {
	at := w.base + int64(from) // from as an input offset: a drop on an earlier turn moves the index
	for {
		if w.bad != nil {
			return w.bad
		}
		if w.end > w.lim {
			// a cut rune waiting for its continuation bytes
			if w.check() {
				return nil
			}
			if w.bad != nil {
				return w.bad
			}
		}
		if w.rerr != nil {
			return w.rerr
		}
		if w.eof {
			if w.end > w.lim { // input ends inside a rune
				return w.failAt(w.lim, "invalid UTF-8")
			}
			return io.EOF
		}
		if err := w.makeRoom(int(at - w.base)); err != nil {
			return err
		}
		// Fill the free space (short reads from pipes and sockets included), so that a token that keeps
		// running past the end is rescanned a logarithmic number of times, not once per read.
		got, empty := 0, 0
		for w.end < len(w.buf) {
			n, err := w.src.Read(w.buf[w.end:])
			w.end += n
			got += n
			if err == io.EOF {
				w.eof = true
				break
			}
			if err != nil {
				w.rerr = fmt.Errorf("reading ODM input: %w", err)
				break
			}
			if n == 0 {
				if empty++; got > 0 || empty > 100 {
					if got == 0 {
						w.rerr = fmt.Errorf("reading ODM input: %w", io.ErrNoProgress)
					}
					break
				}
			}
		}
		if got > 0 && w.check() {
			return nil
		}
	}
}

// makeRoom slides or grows the buffer so that at least a quarter of it is free, keeping buf[from:] and
// the bytes from keep on.
func (w *window) makeRoom(from int) error {
	if len(w.buf)-w.end >= len(w.buf)/4 {
		return nil
	}
	start := from
	if w.keep >= 0 {
		k := int(w.keep - w.base)
		if w.end-k > w.maxKeep && w.alt > w.keep {
			w.keep = w.alt // give up the outer block's bytes, keep the inner block's
			k = int(w.keep - w.base)
		}
		if w.end-k > w.maxKeep {
			w.keep, w.alt = -1, -1
		} else if k < start {
			start = k
		}
	}
	if start > 0 {
		w.drop(start)
	}
	if len(w.buf)-w.end < len(w.buf)/4 {
		if w.end-from > w.maxToken {
			return w.failAt(from, fmt.Sprintf("token longer than %d bytes", w.maxToken))
		}
		nb := make([]byte, 2*len(w.buf))
		copy(nb, w.buf[:w.end])
		w.steps += int64(w.end)
		w.buf = nb
	}
	return nil
}

// drop discards buf[:n], keeping the line count of what it drops.
func (w *window) drop(n int) {
	if w.onDrop != nil {
		w.onDrop(w.base + int64(n))
	}
	d := w.buf[:n]
	if k := bytes.Count(d, nl); k > 0 {
		w.lines += k
		i := bytes.LastIndexByte(d, '\n')
		w.lastNL = w.base + int64(i)
		w.colRune = runeCount(d[i+1:])
	} else {
		w.colRune += runeCount(d)
	}
	copy(w.buf, w.buf[n:w.end])
	w.steps += int64(w.end)
	w.pos -= n
	w.lim -= n
	w.end -= n
	w.base += int64(n)
}

var nl = []byte{'\n'}

// position turns a buffer index (which must not have been dropped) into line and column.
func (w *window) position(i int) (line, col int) {
	if i < 0 {
		i = 0
	}
	if i > w.end {
		i = w.end
	}
	from, line, col := 0, w.lines, w.colRune // line: '\n' before from; col: characters after the last one
	if m := w.memoAt - w.base; w.memoAt >= w.base && int(m) <= i {
		from, line, col = int(m), w.memoLine, w.memoCol
	}
	d := w.buf[from:i]
	w.steps += int64(len(d))
	if j := bytes.LastIndexByte(d, '\n'); j >= 0 {
		line += bytes.Count(d, nl)
		col = runeCount(d[j+1:])
	} else {
		col += runeCount(d)
	}
	w.memoAt, w.memoLine, w.memoCol = w.base+int64(i), line, col
	return line + 1, col + 1
}

// errAt builds a *SyntaxError at buffer index i.
func (w *window) errAt(i int, msg string) *SyntaxError {
	line, col := w.position(i)
	return &SyntaxError{Line: line, Col: col, Offset: w.base + int64(i), Msg: msg}
}

func (w *window) failAt(i int, msg string) error { return w.errAt(i, msg) }

// check extends lim over buf[lim:end] as far as the bytes are valid UTF-8 made of XML 1.0 characters.
// It reports whether lim moved; a failure is kept in w.bad for when the scanner reaches it.
func (w *window) check() bool {
	b := w.buf[:w.end]
	i := w.lim
	for {
		if i < len(b) && b[i] < utf8.RuneSelf {
			i = plainRun(b, i) // (straight on to the next character after one that is not ASCII)
		}
		if i >= len(b) {
			break
		}
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\n' && c != '\t' && c != '\r' {
				w.bad = w.errAt(i, fmt.Sprintf("character U+%04X not allowed in XML", c))
				break
			}
			i++
			continue
		}
		if w.asciiOnly {
			w.bad = w.errAt(i, "byte not valid in the declared encoding US-ASCII")
			break
		}
		// The common sequences first: two bytes (U+0080–U+07FF) and three bytes from U+1000 to U+CFFF
		// are always XML characters.
		if c >= 0xC2 && c <= 0xDF && i+1 < len(b) && b[i+1]&0xC0 == 0x80 {
			i += 2
			continue
		}
		if c >= 0xE1 && c <= 0xEC && i+2 < len(b) && b[i+1]&0xC0 == 0x80 && b[i+2]&0xC0 == 0x80 {
			i += 3
			continue
		}
		if !utf8.FullRune(b[i:]) {
			break // wait for the rest of the rune
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			w.bad = w.errAt(i, "invalid UTF-8")
			break
		}
		if r == 0xFFFE || r == 0xFFFF {
			w.bad = w.errAt(i, fmt.Sprintf("character U+%04X not allowed in XML", r))
			break
		}
		if r == utf8.RuneError && w.rejectFFFD {
			w.bad = w.errAt(i, "byte not valid in the declared encoding")
			break
		}
		i += n
	}
	moved := i > w.lim
	w.lim = i
	return moved
}

// plainRunWords returns the index of the first byte from b[i] on that is not ASCII or is a control
// character other than LF, TAB and CR, or the index from which fewer than eight bytes are left. It is
// plainRun in the default build.
func plainRunWords(b []byte, i int) int {
	const hi = 0x8080808080808080
	// 32 bytes at a time and without a branch per word while there is only ASCII and LF: a block
	// with a non-ASCII byte, TAB, CR or anything else below 0x20 is looked at closer.
	for i+32 <= len(b) {
		c := b[i : i+32 : i+32]
		x := binary.LittleEndian.Uint64(c)
		y := binary.LittleEndian.Uint64(c[8:])
		z := binary.LittleEndian.Uint64(c[16:])
		v := binary.LittleEndian.Uint64(c[24:])
		if (x|y|z|v)&hi|ctlNotLF(x)|ctlNotLF(y)|ctlNotLF(z)|ctlNotLF(v) != 0 {
			break
		}
		i += 32
	}
	// Eight bytes at a time up to the first byte to look at. The marks of ctlNotLF and zeroBytes are
	// right up to the first byte of 0x80 or more, whose carries reach only the bytes above it, and that
	// byte is marked itself: the lowest mark is the byte to look at.
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		if m := (x&hi | ctlNotLF(x)&^(zeroBytes(x^0x0909090909090909)|zeroBytes(x^0x0d0d0d0d0d0d0d0d))) & hi; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	return i
}

// ctlNotLF marks with 0x80 each byte of x below 0x20 other than LF; x's bytes must all be below 0x80
// (else the result is meaningless, but the callers have already looked at the high bits). With LF
// turned into 0 and the other bytes below 0x20 into 1–0x1F, it marks the bytes from 1 to 0x1F.
func ctlNotLF(x uint64) uint64 {
	t := x ^ 0x0a0a0a0a0a0a0a0a
	return (t + 0x7f7f7f7f7f7f7f7f) &^ (t + 0x6060606060606060) & hi64
}

const hi64 = 0x8080808080808080

// zeroBytes marks with 0x80 each zero byte of x, up to its first byte of 0x80 or more.
func zeroBytes(x uint64) uint64 { return ^(x + 0x7f7f7f7f7f7f7f7f) & 0x8080808080808080 }

// runeCount counts the characters of checked (valid UTF-8) bytes: every byte that does not continue a
// sequence starts one. (utf8.RuneCount may allocate.)
func runeCount(b []byte) int {
	n := 0
	for _, c := range b {
		if c&0xC0 != 0x80 {
			n++
		}
	}
	return n
}
