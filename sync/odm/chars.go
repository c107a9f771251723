package odm

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// Byte classes for the tokenizer's inner loops.
const (
	cNameStart   = 1 << iota // may start an XML name (ASCII)
	cName                    // may continue an XML name (ASCII)
	cAttrSpecial             // needs work in an attribute value: < & TAB LF CR
	cTextSpecial             // needs work in character data: & CR ]
	cSpace                   // XML white space
	cPlain                   // may continue an XML name, and is not ':' (the fast loop of scanName)
	cQuote                   // ' or "
	cLT                      // <
)

var class [256]uint8

func init() {
	for c := 0; c < 256; c++ {
		var k uint8
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == ':':
			k |= cNameStart | cName
		case c >= '0' && c <= '9', c == '-', c == '.':
			k |= cName
		}
		switch c {
		case '<', '&', '\t', '\n', '\r':
			k |= cAttrSpecial
		}
		switch c {
		case '&', '\r', ']':
			k |= cTextSpecial
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			k |= cSpace
		case '"', '\'':
			k |= cQuote
		case '<':
			k |= cLT
		}
		if k&cName != 0 && c != ':' {
			k |= cPlain
		}
		class[c] = k
	}
}

func isSpace(c byte) bool { return class[c]&cSpace != 0 }

// isAllSpace reports whether b holds only XML white space.
func isAllSpace(b []byte) bool {
	for _, c := range b {
		if class[c]&cSpace == 0 {
			return false
		}
	}
	return true
}

// isNameStartRune and isNameRune are the XML 1.0 (fifth edition) NameStartChar and NameChar productions
// for characters outside ASCII.
func isNameStartRune(r rune) bool {
	switch {
	case r >= 0xC0 && r <= 0xD6, r >= 0xD8 && r <= 0xF6, r >= 0xF8 && r <= 0x2FF,
		r >= 0x370 && r <= 0x37D, r >= 0x37F && r <= 0x1FFF, r >= 0x200C && r <= 0x200D,
		r >= 0x2070 && r <= 0x218F, r >= 0x2C00 && r <= 0x2FEF, r >= 0x3001 && r <= 0xD7FF,
		r >= 0xF900 && r <= 0xFDCF, r >= 0xFDF0 && r <= 0xFFFD, r >= 0x10000 && r <= 0xEFFFF:
		return true
	}
	return false
}

func isNameRune(r rune) bool {
	return isNameStartRune(r) || r == 0xB7 || (r >= 0x300 && r <= 0x36F) || (r >= 0x203F && r <= 0x2040)
}

// isXMLChar is the XML 1.0 Char production.
func isXMLChar(r rune) bool {
	switch {
	case r == 0x9, r == 0xA, r == 0xD, r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD,
		r >= 0x10000 && r <= utf8.MaxRune:
		return true
	}
	return false
}

// isName reports whether b is an XML Name.
func isName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if (i == 0 && class[c]&cNameStart == 0) || class[c]&cName == 0 {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if (i == 0 && !isNameStartRune(r)) || !isNameRune(r) {
			return false
		}
		i += n
	}
	return true
}

// Word-at-a-time searches. Each mask function marks with 0x80 the bytes of the little-endian word x
// that stop a run; bytes above the lowest marked one may be marked wrongly (a borrow), so only the
// lowest mark counts: the run ends at byte bits.TrailingZeros64(m)/8. Bytes of 0x80 and above are
// never marked.

const (
	ones64 = 0x0101010101010101
)

// scanAttrValueWords returns the index of the first byte from b[j] on that is in cAttrSpecial or
// cQuote (< & " ' and the bytes below 0x20, of which the check lets only TAB, LF and CR through), or
// len(b). It is scanAttrValue in the default build.
func scanAttrValueWords(b []byte, j int) int {
	for j+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[j:])
		lt, amp, quot, apos := x^(ones64*'<'), x^(ones64*'&'), x^(ones64*'"'), x^(ones64*'\'')
		m := ((x-0x2020202020202020)&^x | (lt-ones64)&^lt | (amp-ones64)&^amp | (quot-ones64)&^quot |
			(apos-ones64)&^apos) & hi64
		if m != 0 {
			return j + bits.TrailingZeros64(m)>>3
		}
		j += 8
	}
	for j < len(b) && class[b[j]]&(cAttrSpecial|cQuote) == 0 {
		j++
	}
	return j
}

// scanTextWords returns the index of the first byte from b[j] on that is in cTextSpecial or cLT
// (& CR ] <), or len(b). It is scanText in the default build.
func scanTextWords(b []byte, j int) int {
	for j+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[j:])
		amp, cr, rsb, lt := x^(ones64*'&'), x^(ones64*'\r'), x^(ones64*']'), x^(ones64*'<')
		m := ((amp-ones64)&^amp | (cr-ones64)&^cr | (rsb-ones64)&^rsb | (lt-ones64)&^lt) & hi64
		if m != 0 {
			return j + bits.TrailingZeros64(m)>>3
		}
		j += 8
	}
	for j < len(b) && class[b[j]]&(cTextSpecial|cLT) == 0 {
		j++
	}
	return j
}
