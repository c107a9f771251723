package odm

import "unicode/utf8"

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
