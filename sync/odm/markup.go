package odm

import "bytes"

// markup scans whatever starts with '<'.
func (s *scanner) markup() error {
	w := &s.w
	b := w.buf[w.pos:w.lim]
	if len(b) < 2 {
		return errNeedMore
	}
	switch b[1] {
	case '/':
		return s.endTag()
	case '?':
		return s.pi()
	case '!':
		switch {
		case hasPrefixOrCut(b, "<!--"):
			if len(b) < 4 {
				return errNeedMore
			}
			return s.comment()
		case hasPrefixOrCut(b, "<![CDATA["):
			if len(b) < 9 {
				return errNeedMore
			}
			return s.cdata()
		case hasPrefixOrCut(b, "<!DOCTYPE"):
			if len(b) < 9 {
				return errNeedMore
			}
			return s.doctypeDecl()
		}
		return s.errAt(w.pos, "invalid markup after '<!'")
	}
	return s.startTag()
}

// hasPrefixOrCut reports whether b starts with p, or is a prefix of p (cut by the end of the window).
func hasPrefixOrCut(b []byte, p string) bool {
	if len(b) >= len(p) {
		return string(b[:len(p)]) == p
	}
	return string(b) == p[:len(b)]
}

// comment skips a comment, which must not contain "--".
func (s *scanner) comment() error {
	w := &s.w
	b := w.buf[:w.lim]
	i := w.pos + 4
	k := bytes.Index(b[i:], []byte("--"))
	if k < 0 {
		return errNeedMore
	}
	k += i
	if k+2 >= len(b) {
		return errNeedMore
	}
	if b[k+2] != '>' {
		return s.errAt(k, "'--' not allowed inside a comment")
	}
	w.pos = k + 3
	return errSkip
}

// cdata hands out a CDATA section as text.
func (s *scanner) cdata() error {
	w := &s.w
	b := w.buf[:w.lim]
	p := w.pos
	if s.nopen == 0 {
		return s.errAt(p, "CDATA section outside the root element")
	}
	k := bytes.Index(b[p+9:], []byte("]]>"))
	if k < 0 {
		return errNeedMore
	}
	raw := b[p+9 : p+9+k]
	s.text = raw
	if bytes.IndexByte(raw, '\r') >= 0 {
		start := len(s.scratch)
		out := s.scratch
		for j := 0; j < len(raw); j++ {
			if raw[j] == '\r' {
				out = append(out, '\n')
				if j+1 < len(raw) && raw[j+1] == '\n' {
					j++
				}
				continue
			}
			out = append(out, raw[j])
		}
		s.text = out[start:]
		s.scratch = out
	}
	s.kind, s.textWS = tokText, false
	w.pos = p + 9 + k + 3
	return nil
}

// doctypeDecl skips a DOCTYPE that has no internal subset and refuses one that has.
func (s *scanner) doctypeDecl() error {
	w := &s.w
	b := w.buf[:w.lim]
	p := w.pos
	if s.rootSeen || s.doctype {
		return s.errAt(p, "DOCTYPE not allowed here")
	}
	i := p + 9
	if i >= len(b) {
		return errNeedMore
	}
	if !isSpace(b[i]) {
		return s.errAt(i, "expected white space after <!DOCTYPE")
	}
	for i < len(b) {
		switch c := b[i]; c {
		case '[':
			return s.errAt(i, "DOCTYPE with an internal subset is not accepted")
		case '>':
			s.doctype = true
			w.pos = i + 1
			return errSkip
		case '"', '\'':
			e := bytes.IndexByte(b[i+1:], c)
			if e < 0 {
				return errNeedMore
			}
			i += e + 2
			continue
		}
		i++
	}
	return errNeedMore
}

// pi skips a processing instruction, checking the XML declaration when it is one.
func (s *scanner) pi() error {
	w := &s.w
	b := w.buf[:w.lim]
	p := w.pos
	n, _, err := s.scanName(b, p+2, "a processing instruction")
	if err != nil {
		return err
	}
	target := b[p+2 : n]
	if n >= len(b) {
		return errNeedMore
	}
	end := bytes.Index(b[n:], []byte("?>"))
	if end < 0 {
		return errNeedMore
	}
	end += n
	if bytes.EqualFold(target, []byte("xml")) {
		if string(target) != "xml" || s.w.base+int64(p) != s.docStart {
			return s.errAt(p, "XML declaration allowed only at the start of the document")
		}
		if err := s.xmlDecl(b[n:end], n); err != nil {
			return err
		}
	} else if end > n && !isSpace(b[n]) {
		return s.errAt(n, "invalid character %q after processing instruction target", b[n])
	}
	w.pos = end + 2
	return errSkip
}

// xmlDecl checks the pseudo-attributes of the XML declaration: version, then encoding, then standalone.
func (s *scanner) xmlDecl(b []byte, at int) error {
	names := [...]string{"version", "encoding", "standalone"}
	next := 0
	i := 0
	for {
		ws := i
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i == len(b) {
			break
		}
		if i == ws {
			return s.errAt(at+i, "malformed XML declaration")
		}
		e := i
		for e < len(b) && b[e] >= 'a' && b[e] <= 'z' {
			e++
		}
		name := b[i:e]
		k := next
		for k < len(names) && names[k] != string(name) {
			k++
		}
		if k == len(names) || (next == 0 && k != 0) {
			return s.errAt(at+i, "malformed XML declaration (%q)", name)
		}
		next = k + 1
		i = e
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i == len(b) || b[i] != '=' {
			return s.errAt(at+i, "malformed XML declaration")
		}
		i++
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i == len(b) || (b[i] != '"' && b[i] != '\'') {
			return s.errAt(at+i, "malformed XML declaration")
		}
		q := bytes.IndexByte(b[i+1:], b[i])
		if q < 0 {
			return s.errAt(at+i, "malformed XML declaration")
		}
		v := b[i+1 : i+1+q]
		switch string(name) {
		case "version":
			if len(v) < 3 || string(v[:2]) != "1." || !isDigits(v[2:]) {
				return s.errAt(at+i, "unsupported XML version %q", v)
			}
		case "encoding":
			if !validEncName(v) {
				return s.errAt(at+i, "invalid encoding name %q", v)
			}
		case "standalone":
			if string(v) != "yes" && string(v) != "no" {
				return s.errAt(at+i, "standalone must be yes or no")
			}
		}
		i += q + 2
	}
	if next == 0 {
		return s.errAt(at, "XML declaration without version")
	}
	return nil
}

func validEncName(v []byte) bool {
	if len(v) == 0 || !(v[0] >= 'a' && v[0] <= 'z' || v[0] >= 'A' && v[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
