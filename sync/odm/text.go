package odm

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// chars scans character data up to the next '<'.
func (s *scanner) chars() error {
	w := &s.w
	b := w.buf[w.pos:w.lim]
	i := 0
	for i < len(b) && class[b[i]]&cSpace != 0 {
		i++
	}
	if i == len(b) {
		return errNeedMore
	}
	if b[i] == '<' {
		raw := b[:i]
		w.pos += i
		if !s.keepText || s.nopen == 0 {
			return errSkip
		}
		s.kind, s.textWS = tokText, true
		s.text = raw
		if bytes.IndexByte(raw, '\r') >= 0 {
			t, err := s.decodeText(raw, w.pos-i)
			if err != nil {
				return err
			}
			s.text = t
		}
		return nil
	}
	if s.nopen == 0 {
		return s.errAt(w.pos+i, "text outside the root element")
	}
	j := scanText(b, i)
	if j >= len(b) {
		return errNeedMore
	}
	raw := b[:j]
	if b[j] != '<' {
		e := bytes.IndexByte(b[j:], '<')
		if e < 0 {
			return errNeedMore
		}
		j += e
		var err error
		if raw, err = s.decodeText(b[:j], w.pos); err != nil {
			return err
		}
	}
	w.pos += j
	s.kind, s.text, s.textWS = tokText, raw, false
	return nil
}

// decodeText resolves references and line ends in character data raw, which starts at buffer index at.
// The result is raw itself when there is nothing to resolve, else a slice of the scratch buffer.
func (s *scanner) decodeText(raw []byte, at int) ([]byte, error) {
	k := 0
	for k < len(raw) && class[raw[k]]&cTextSpecial == 0 {
		k++
	}
	if k == len(raw) {
		return raw, nil
	}
	start := len(s.scratch)
	out := append(s.scratch, raw[:k]...)
	for k < len(raw) {
		c := raw[k]
		switch c {
		case '&':
			var err error
			out, k, err = s.ref(out, raw, k, at)
			if err != nil {
				return nil, err
			}
			continue
		case '\r':
			out = append(out, '\n')
			if k+1 < len(raw) && raw[k+1] == '\n' {
				k++
			}
		case ']':
			if k+2 < len(raw) && raw[k+1] == ']' && raw[k+2] == '>' {
				return nil, s.errAt(at+k, "']]>' not allowed in character data")
			}
			out = append(out, c)
		default:
			out = append(out, c)
		}
		k++
	}
	s.scratch = out
	return out[start:], nil
}

// ref resolves the reference at raw[k] == '&', appending its character to out.
func (s *scanner) ref(out, raw []byte, k, at int) ([]byte, int, error) {
	end := bytes.IndexByte(raw[k+1:], ';')
	if end < 0 {
		return nil, 0, s.errAt(at+k, "'&' not followed by a reference ending in ';'")
	}
	name := raw[k+1 : k+1+end]
	next := k + 2 + end
	switch string(name) {
	case "lt":
		return append(out, '<'), next, nil
	case "gt":
		return append(out, '>'), next, nil
	case "amp":
		return append(out, '&'), next, nil
	case "apos":
		return append(out, '\''), next, nil
	case "quot":
		return append(out, '"'), next, nil
	}
	if len(name) > 1 && name[0] == '#' {
		var v uint64
		var err error
		if name[1] == 'x' {
			if len(name) == 2 || !isHex(name[2:]) {
				return nil, 0, s.errAt(at+k, "invalid character reference &%s;", name)
			}
			v, err = strconv.ParseUint(string(name[2:]), 16, 32)
		} else {
			if !isDigits(name[1:]) {
				return nil, 0, s.errAt(at+k, "invalid character reference &%s;", name)
			}
			v, err = strconv.ParseUint(string(name[1:]), 10, 32)
		}
		if err != nil || v > utf8.MaxRune || !isXMLChar(rune(v)) {
			return nil, 0, s.errAt(at+k, "character reference &%s; is not an XML character", name)
		}
		return utf8.AppendRune(out, rune(v)), next, nil
	}
	if isName(name) {
		return nil, 0, s.errAt(at+k, "undefined entity &%s;", name)
	}
	return nil, 0, s.errAt(at+k, "'&' not followed by a reference ending in ';'")
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// simpleText is a shortcut for the reader right after a start tag whose text it wants: when the
// element's content is plain character data (nothing to resolve) followed at once by its end tag, all
// within the window, it consumes both, closes the element and returns the text (valid until the next
// token). Otherwise it returns false and changes nothing: the caller goes on token by token.
func (s *scanner) simpleText() ([]byte, bool) {
	if s.selfClose || s.nopen == 0 {
		return nil, false
	}
	w := &s.w
	b := w.buf[:w.lim]
	i := scanText(b, w.pos)
	name := s.elemName(&s.elems[s.nopen-1])
	e := i + 2 + len(name)
	if e >= len(b) || b[i] != '<' || b[i+1] != '/' || b[e] != '>' || string(b[i+2:e]) != string(name) {
		w.steps += int64(i - w.pos) // scanned again token by token
		return nil, false
	}
	text := b[w.pos:i]
	w.pos = e + 1
	s.pop()
	return text, true
}
