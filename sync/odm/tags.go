package odm

import (
	"bytes"
	"unicode/utf8"
)

// scanName returns the end of the XML name starting at b[i] and the index of its first ':' (-1 if
// none), or errNeedMore when the window ends first.
func (s *scanner) scanName(b []byte, i int, what string) (int, int, error) {
	if i >= len(b) {
		return 0, 0, errNeedMore
	}
	start, colon := i, -1
	c := b[i]
	if c < utf8.RuneSelf {
		if class[c]&cNameStart == 0 {
			return 0, 0, s.errAt(i, "invalid character %q at the start of %s", rune(c), what)
		}
		if c == ':' {
			colon = i
		}
		i++
	}
	for {
		for i < len(b) && class[b[i]]&cPlain != 0 {
			i++
		}
		if i >= len(b) {
			return 0, 0, errNeedMore
		}
		c = b[i]
		if c == ':' {
			if colon < 0 {
				colon = i
			}
			i++
			continue
		}
		if c < utf8.RuneSelf {
			return i, colon, nil
		}
		if !utf8.FullRune(b[i:]) {
			return 0, 0, errNeedMore
		}
		r, n := utf8.DecodeRune(b[i:])
		if (i == start && !isNameStartRune(r)) || !isNameRune(r) {
			if i == start {
				return 0, 0, s.errAt(i, "invalid character %q at the start of %s", r, what)
			}
			return i, colon, nil
		}
		i += n
	}
}

// splitQName splits a name into prefix and local part as Namespaces in XML 1.0 requires; i is the
// index of its first ':', -1 if none.
func splitQName(q []byte, i int) (prefix, local []byte, ok bool) {
	if i < 0 {
		return nil, q, true
	}
	prefix, local = q[:i], q[i+1:]
	if len(prefix) == 0 || len(local) == 0 || bytes.IndexByte(local, ':') >= 0 {
		return nil, nil, false
	}
	return prefix, local, true
}

// plainName scans the plain ASCII name at b[i] (ASCII letters, digits, '-', '.' and '_', and at most
// one ':' between two of them) and returns the index after it, i if there is none, and the index of its
// ':', -1 if none.
func plainName(b []byte, i int) (n, colon int) {
	n, colon = i, -1
	if n < len(b) && class[b[n]]&cNameStart != 0 && b[n] != ':' {
		n++
		for n < len(b) && class[b[n]]&cPlain != 0 {
			n++
		}
		if n+1 < len(b) && b[n] == ':' && class[b[n+1]]&cNameStart != 0 {
			colon = n
			for n += 2; n < len(b) && class[b[n]]&cPlain != 0; n++ {
			}
		}
	}
	return n, colon
}

// relative is index i as an offset from base, or -1 for -1.
func relative(i, base int) int {
	if i < 0 {
		return -1
	}
	return i - base
}

// startTag scans a start tag or empty-element tag and does its namespace processing.
func (s *scanner) startTag() error {
	w := &s.w
	b := w.buf[:w.lim]
	p := w.pos
	// Element and attribute names: a plain ASCII name, or two joined by ':', ends at space, '>', '/' or
	// '='; anything else (non-ASCII, a second ':', an error, the end of the window) takes scanName, and
	// then the tag takes namespaces, which checks qualified names. A plain name is first guessed from
	// the names kept (intern.go).
	n, colon, plain := p+1, -1, true
	tag := int32(-1) // the element name, kept
	guess := int32(-1)
	if s.lastTag >= 0 {
		guess = s.lex[s.lastTag].next
	}
	if guess >= 0 && p+1+maxNameLen < len(b) && s.lex[guess].at(b, p+1) &&
		class[b[p+1+int(s.lex[guess].n)]]&cName == 0 && b[p+1+int(s.lex[guess].n)] < utf8.RuneSelf {
		e := &s.lex[guess]
		tag, n = guess, p+1+int(e.n)
		if e.colon >= 0 {
			colon = p + 1 + int(e.colon)
		}
	} else {
		n, colon = plainName(b, p+1)
		if n > p+1 && n < len(b) && (class[b[n]]&cSpace != 0 || b[n] == '>' || b[n] == '/') {
			tag = s.intern(b[p+1:n], relative(colon, p+1))
			if s.lastTag >= 0 {
				s.lex[s.lastTag].next = tag
			}
		}
	}
	if n == p+1 || n >= len(b) || (class[b[n]]&cSpace == 0 && b[n] != '>' && b[n] != '/') {
		var err error
		if n, colon, err = s.scanName(b, p+1, "an element name"); err != nil {
			return err
		}
		plain, tag = false, -1
	}
	qname := b[p+1 : n]
	if colon >= 0 {
		colon -= p + 1
	}
	xmlns, prefixedAttrs := false, 0
	s.nattr = 0
	s.selfClose = false
	i := n
	for {
		ws := i
		if i+1 < len(b) && b[i] == ' ' && class[b[i+1]]&cSpace == 0 {
			i++ // one space, the usual spelling
		} else {
			for i < len(b) && class[b[i]]&cSpace != 0 {
				i++
			}
		}
		if i >= len(b) {
			return errNeedMore
		}
		c := b[i]
		if c == '>' {
			i++
			break
		}
		if c == '/' {
			if i+1 >= len(b) {
				return errNeedMore
			}
			if b[i+1] != '>' {
				return s.errAt(i, "expected '>' after '/' in <%s>", qname)
			}
			s.selfClose = true
			i += 2
			break
		}
		if i == ws {
			return s.errAt(i, "invalid character %q in <%s>", c, qname)
		}
		an, acolon, ai := i, -1, int32(-1)
		ga := int32(-1)
		if tag >= 0 && s.nattr < guessedAttrs {
			ga = s.lex[tag].attrs[s.nattr]
		}
		if ga >= 0 && i+maxNameLen < len(b) && s.lex[ga].at(b, i) && b[i+int(s.lex[ga].n)] == '=' {
			e := &s.lex[ga]
			an, ai = i+int(e.n), ga
			if e.colon >= 0 {
				acolon = i + int(e.colon)
			}
		} else {
			an, acolon = plainName(b, i)
			if an == i || an >= len(b) || (b[an] != '=' && class[b[an]]&cSpace == 0) {
				var err error
				if an, acolon, err = s.scanName(b, i, "an attribute name"); err != nil {
					return err
				}
				plain = false
			} else {
				ai = s.intern(b[i:an], relative(acolon, i))
				if tag >= 0 && s.nattr < guessedAttrs {
					s.lex[tag].attrs[s.nattr] = ai
				}
			}
		}
		aname, i0 := b[i:an], i
		if acolon >= 0 {
			acolon -= i
		}
		code := aOther
		if ai >= 0 {
			e := &s.lex[ai]
			code = e.attr
			if e.xmlns {
				xmlns = true
			} else if acolon >= 0 {
				prefixedAttrs++
			}
		} else {
			code = attrCodeOf(aname[acolon+1:])
			if aname[0] == 'x' && len(aname) >= 5 && string(aname[:5]) == "xmlns" {
				xmlns = true
			} else if acolon >= 0 {
				prefixedAttrs++
			}
		}
		i = an
		if i+1 < len(b) && b[i] == '=' && class[b[i+1]]&cQuote != 0 {
			i++ // name="value", the usual spelling
		} else {
			for i < len(b) && class[b[i]]&cSpace != 0 {
				i++
			}
			if i >= len(b) {
				return errNeedMore
			}
			if b[i] != '=' {
				return s.errAt(i, "attribute %s in <%s> has no value", aname, qname)
			}
			i++
			for i < len(b) && class[b[i]]&cSpace != 0 {
				i++
			}
			if i >= len(b) {
				return errNeedMore
			}
		}
		q := b[i]
		if q != '"' && q != '\'' {
			return s.errAt(i, "value of attribute %s in <%s> is not quoted", aname, qname)
		}
		// One pass to the closing quote; a value with anything to normalise takes the slow path.
		j := scanAttrValue(b, i+1)
		if j >= len(b) {
			return errNeedMore
		}
		if s.nattr == len(s.attrs) {
			s.attrs = append(s.attrs, make([]attr, len(s.attrs)+8)...)
		}
		a := &s.attrs[s.nattr]
		*a = attr{off: int32(i0), n: int32(len(aname)), colon: int32(acolon), voff: int32(i + 1), vn: int32(j - i - 1), code: code, lex: ai}
		if b[j] != q {
			e := bytes.IndexByte(b[i+1:], q)
			if e < 0 {
				return errNeedMore
			}
			j = i + 1 + e
			before := len(s.scratch)
			val, err := s.attrValue(b[i+1:j], i+1)
			if err != nil {
				return err
			}
			a.vn = int32(len(val))
			if len(s.scratch) != before { // normalised into scratch (else: another quote char, nothing to do)
				a.valScratch, a.voff = true, int32(before)
			}
		}
		s.nattr++
		i = j + 1
	}
	if s.rootDone {
		return s.errAt(p, "element <%s> after the end of the root element", qname)
	}
	if s.nopen >= s.maxDepth {
		return s.errAt(p, "elements nested more than %d deep", s.maxDepth)
	}
	switch {
	case xmlns || !plain || s.nattr > fewAttrs:
		if err := s.namespaces(qname, colon, xmlns, prefixedAttrs, p); err != nil {
			return err
		}
	case colon >= 0 || prefixedAttrs > 0 || s.nattr > 1:
		if err := s.resolve(qname, colon, tag, prefixedAttrs, p); err != nil {
			return err
		}
	default:
		// the commonest: no prefixes, at most one attribute
		s.ns, s.local = s.defNS, qname
		s.elems[s.nopen] = open{off: -1, n: int32(len(qname)), binds: int32(len(s.binds)), start: s.w.base + int64(p)}
		s.nopen++
	}
	if tag >= 0 {
		s.elem = s.lex[tag].elem
	} else {
		s.elem = odmElem(s.local)
	}
	s.lastTag = tag
	s.rootSeen = true
	s.kind, s.qname = tokStart, qname
	w.pos = i
	if s.selfClose {
		s.popAfter = true
	}
	return nil
}

// resolve is namespaces for the usual tag: no declarations, a few attributes, every name a valid
// qualified name (tag: the element name, kept, or -1). It resolves the prefixes, checks that no two
// attributes have the same name and pushes the element.
func (s *scanner) resolve(qname []byte, colon int, tag int32, prefixedAttrs int, p int) error {
	s.ns, s.local = s.defNS, qname
	if colon >= 0 {
		ns, ok := s.prefixNS(tag, qname[:colon])
		if !ok {
			return s.errAt(p, "undeclared namespace prefix %s in <%s>", qname[:colon], qname)
		}
		s.ns, s.local = ns, qname[colon+1:]
	}
	attrs := s.attrs[:s.nattr]
	if prefixedAttrs > 0 {
		for k := range attrs {
			a := &attrs[k]
			if a.colon < 0 {
				continue
			}
			prefix := s.w.buf[a.off : a.off+a.colon]
			var ok bool
			if a.ns, ok = s.prefixNS(a.lex, prefix); !ok {
				return s.errAt(p, "undeclared namespace prefix %s in attribute %s", prefix, s.aname(a))
			}
		}
	}
	for k := 1; k < len(attrs); k++ {
		for j := 0; j < k; j++ {
			if attrs[k].n == attrs[j].n && string(s.aname(&attrs[k])) == string(s.aname(&attrs[j])) {
				return s.errAt(p, "duplicate attribute %s in <%s>", s.aname(&attrs[k]), qname)
			}
		}
	}
	if prefixedAttrs > 1 {
		if err := s.expandedDuplicates(qname, p); err != nil {
			return err
		}
	}
	s.elems[s.nopen] = open{off: -1, n: int32(len(qname)), binds: int32(len(s.binds)), start: s.w.base + int64(p)}
	s.nopen++
	return nil
}

// attrValue checks and normalises a raw attribute value that starts at buffer index at.
func (s *scanner) attrValue(raw []byte, at int) ([]byte, error) {
	k := 0
	for k < len(raw) && class[raw[k]]&cAttrSpecial == 0 {
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
		case '<':
			return nil, s.errAt(at+k, "'<' not allowed in an attribute value")
		case '&':
			var err error
			out, k, err = s.ref(out, raw, k, at)
			if err != nil {
				return nil, err
			}
			continue
		case '\r':
			out = append(out, ' ')
			if k+1 < len(raw) && raw[k+1] == '\n' {
				k++
			}
		case '\t', '\n':
			out = append(out, ' ')
		default:
			out = append(out, c)
		}
		k++
	}
	s.scratch = out
	return out[start:], nil
}

// pop closes the innermost element.
func (s *scanner) pop() {
	s.nopen--
	top := &s.elems[s.nopen]
	if top.off >= 0 {
		s.names = s.names[:top.off]
		s.nsaved = s.nopen
	}
	if int(top.binds) < len(s.binds) {
		s.unbind(int(top.binds))
		s.defNS = top.defNS
	}
	if s.nopen == 0 {
		s.rootDone = true
	}
}

// endTag scans an end tag and matches it against the innermost open element.
func (s *scanner) endTag() error {
	w := &s.w
	b := w.buf[:w.lim]
	p := w.pos
	i := p + 2
	if s.nopen == 0 {
		n, _, err := s.scanName(b, i, "an element name")
		if err != nil {
			return err
		}
		return s.errAt(p, "end tag </%s> without a start tag", b[i:n])
	}
	want := s.elemName(&s.elems[s.nopen-1])
	if i+len(want) >= len(b) {
		return errNeedMore
	}
	j := i + len(want)
	if string(b[i:j]) != string(want) || (class[b[j]]&cSpace == 0 && b[j] != '>') {
		n, _, err := s.scanName(b, i, "an element name")
		if err != nil {
			return err
		}
		return s.errAt(p, "end tag </%s> does not match <%s>", b[i:n], want)
	}
	for j < len(b) && class[b[j]]&cSpace != 0 {
		j++
	}
	if j >= len(b) {
		return errNeedMore
	}
	if b[j] != '>' {
		return s.errAt(j, "expected '>' in end tag </%s>", want)
	}
	w.pos = j + 1
	s.kind = tokEnd
	s.qname = want
	s.pop()
	return nil
}
