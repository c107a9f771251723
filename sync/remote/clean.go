package remote

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxMessageRunes bounds a server message kept in an error: one readable line, not a page.
const maxMessageRunes = 300

// Clean makes text that came from a remote safe to put in an error, a log line or on a terminal: it
// removes terminal escape sequences (CSI, OSC and other ESC sequences) whole, drops every other control
// character and the Unicode bidirectional overrides (which reorder what a reader sees), turns invalid
// UTF-8 into U+FFFD, folds runs of white space (newlines included) into one space, and clips the result
// to 300 characters. A hostile or broken server thereby cannot recolour, move the cursor, retitle the
// window or forge extra log lines.
func Clean(s string) string {
	var b strings.Builder
	b.Grow(min(len(s), 4*maxMessageRunes))
	runes, space := 0, false
	for i := 0; i < len(s) && runes <= maxMessageRunes; {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x1b:
			i += escapeLen(s[i:])
			continue
		case r == 0x9b: // C1 CSI
			i += size + csiLen(s[i+size:])
			continue
		case r == utf8.RuneError && size == 1:
			r = utf8.RuneError
		}
		i += size
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if unicode.IsControl(r) || isBidiControl(r) {
			continue
		}
		if space {
			b.WriteByte(' ')
			runes++
			space = false
		}
		b.WriteRune(r)
		runes++
	}
	out := b.String()
	if runes > maxMessageRunes {
		cut := 0
		for n := 0; n < maxMessageRunes; n++ {
			_, size := utf8.DecodeRuneInString(out[cut:])
			cut += size
		}
		out = strings.TrimRight(out[:cut], " ") + "…"
	}
	return out
}

// escapeLen is the length of the escape sequence at the start of s (s[0] is ESC): CSI "ESC [" up to its
// final byte, OSC/DCS/SOS/PM/APC "ESC ] … BEL or ESC \", or ESC plus one character.
func escapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch s[1] {
	case '[':
		return 2 + csiLen(s[2:])
	case ']', 'P', 'X', '^', '_':
		for j := 2; j < len(s); j++ {
			if s[j] == 0x07 {
				return j + 1
			}
			if s[j] == 0x1b && j+1 < len(s) && s[j+1] == '\\' {
				return j + 2
			}
		}
		return len(s)
	default:
		_, size := utf8.DecodeRuneInString(s[1:])
		return 1 + size
	}
}

// csiLen is the length of a CSI sequence's parameters and final byte (0x40–0x7E).
func csiLen(s string) int {
	for j := 0; j < len(s); j++ {
		if s[j] >= 0x40 && s[j] <= 0x7e {
			return j + 1
		}
		if s[j] < 0x20 || s[j] > 0x7e {
			return j // not a well-formed sequence: stop before the stray byte
		}
	}
	return len(s)
}

// isBidiControl reports the Unicode bidirectional embedding, override and isolate controls.
func isBidiControl(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c
}
