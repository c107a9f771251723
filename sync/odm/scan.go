package odm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"unicode/utf8"
)

// tokKind is what the tokenizer found. Comments, processing instructions, the XML declaration and a
// DOCTYPE without internal subset are checked and skipped; they never reach the reader.
type tokKind uint8

const (
	tokStart tokKind = iota + 1 // start tag (selfClose: also its end)
	tokEnd                      // end tag, already matched against its start tag
	tokText                     // character data or a CDATA section, references resolved
	tokEOF                      // the root element is closed and the input has ended
)

// nsID names the namespaces the reader cares about; every other URI is nsOther.
type nsID uint8

const (
	nsNone  nsID = iota // no namespace
	nsODM               // http://www.cdisc.org/ns/odm/v1.3
	nsMdsol             // http://www.mdsol.com/ns/odm/metadata
	nsXML               // the xml prefix
	nsOther             // any other URI
	nsXMLNS             // a namespace declaration attribute
)

const (
	uriODM   = "http://www.cdisc.org/ns/odm/v1.3"
	uriMdsol = "http://www.mdsol.com/ns/odm/metadata"
	uriXML   = "http://www.w3.org/XML/1998/namespace"
	uriXMLNS = "http://www.w3.org/2000/xmlns/"
)

// attr is one attribute of the current start tag, as offsets into the window (name, and value unless
// it needed normalising) or the scratch buffer (a normalised value): no pointers, so filling the slice
// costs no write barriers. Valid until the next token; read it through aname, alocal and aval.
type attr struct {
	off, n     int32 // qualified name: w.buf[off:off+n]
	colon      int32 // index of ':' in the name, -1 if none
	voff, vn   int32 // value, normalised as XML 1.0 section 3.3.3 says
	ns         nsID
	valScratch bool // the value lives in scratch, not in the window
}

// attrList is the current start tag's attributes.
func (s *scanner) attrList() []attr { return s.attrs[:s.nattr] }

func (s *scanner) aname(a *attr) []byte { return s.w.buf[a.off : a.off+a.n] }

func (s *scanner) alocal(a *attr) []byte {
	if a.colon < 0 {
		return s.w.buf[a.off : a.off+a.n]
	}
	return s.w.buf[a.off+a.colon+1 : a.off+a.n]
}

func (s *scanner) aval(a *attr) []byte {
	if a.valScratch {
		return s.scratch[a.voff : a.voff+a.vn]
	}
	return s.w.buf[a.voff : a.voff+a.vn]
}

// binding is one namespace declaration in scope; prefix and URI live in scanner.nsArena.
type binding struct {
	off, plen, ulen int32
	ns              nsID
}

// open is an element whose end tag has not been seen yet. Its name is read from the window at start+1
// for as long as the start tag is in it; when the window is about to drop it, saveNames copies the
// name to scanner.names (off >= 0). Most elements end before that, so most names are never copied.
type open struct {
	off   int32 // offset in scanner.names, -1 while the name is in the window
	n     int32 // name length
	binds int32 // len(scanner.binds) before this element's declarations
	start int64 // input offset of '<'
}

// scanner is the pull tokenizer: next() moves to the next token, whose fields are valid until the
// following call. It checks well-formedness (and namespace well-formedness) as it goes and allocates
// nothing per token once its buffers have grown to the document's needs.
type scanner struct {
	w window

	kind      tokKind
	selfClose bool
	at        int64 // input offset of the token
	qname     []byte
	local     []byte
	ns        nsID
	attrs     []attr // attrs[:nattr] are the current tag's
	nattr     int
	text      []byte
	textWS    bool // text is white space only (never set for a CDATA section)

	keepText bool // hand out white-space-only text too (the reader is collecting a value)

	scratch []byte
	elems   []open // elems[:nopen] are open, outermost first
	nopen   int
	names   []byte
	binds   []binding
	nsArena []byte
	defNS   nsID // the default namespace in scope

	maxDepth int
	docStart int64 // offset after a byte-order mark
	rootSeen bool
	rootDone bool
	doctype  bool
	popAfter bool // the last token was a self-closing start tag: pop it before the next
	err      error
}

var errSkip = errors.New("odm: internal: skipped markup")

func (s *scanner) reset(src io.Reader, size int) {
	s.w.reset(src, size)
	s.w.maxToken = defaultMaxToken
	s.w.maxKeep = defaultMaxKeep
	s.kind = 0
	s.nattr = 0
	s.nopen = 0
	s.names = s.names[:0]
	s.binds = s.binds[:0]
	s.nsArena = s.nsArena[:0]
	s.defNS = nsNone
	s.rootSeen, s.rootDone, s.doctype, s.popAfter = false, false, false, false
	s.err = nil
	s.keepText = false
	s.docStart = 0
	if s.maxDepth == 0 {
		s.maxDepth = 1000
	}
	if len(s.elems) < s.maxDepth {
		s.elems = make([]open, s.maxDepth)
	}
	if s.w.onDrop == nil {
		s.w.onDrop = s.saveNames // once: a method value allocates
	}
}

// saveNames copies out the names of open elements whose start tags the window is about to drop.
func (s *scanner) saveNames(limit int64) {
	for i := 0; i < s.nopen; i++ {
		o := &s.elems[i]
		if o.off >= 0 || o.start >= limit {
			continue
		}
		o.off = int32(len(s.names))
		at := int(o.start-s.w.base) + 1
		s.names = append(s.names, s.w.buf[at:at+int(o.n)]...)
	}
}

// elemName is the name of an open element.
func (s *scanner) elemName(o *open) []byte {
	if o.off >= 0 {
		return s.names[o.off : o.off+o.n]
	}
	at := int(o.start-s.w.base) + 1
	return s.w.buf[at : at+int(o.n)]
}

// depth is the number of open elements, the current start tag included.
func (s *scanner) depth() int { return s.nopen }

// offset is the input offset of the next unscanned byte.
func (s *scanner) offset() int64 { return s.w.base + int64(s.w.pos) }

func (s *scanner) fail(err error) error {
	s.err = err
	return err
}

// errAt is a well-formedness error at buffer index i.
func (s *scanner) errAt(i int, format string, args ...any) error {
	return s.w.errAt(i, fmt.Sprintf(format, args...))
}

// errAtOffset is an error at input offset off, which must still be in the window.
func (s *scanner) errAtOffset(off int64, msg string) *SyntaxError {
	return s.w.errAt(int(off-s.w.base), msg)
}

// next moves to the next token.
func (s *scanner) next() error {
	if s.err != nil {
		return s.err
	}
	if s.popAfter {
		s.popAfter = false
		s.pop()
	}
	w := &s.w
	for {
		if w.pos >= w.lim {
			switch err := w.more(w.pos); {
			case err == io.EOF:
				return s.atEOF()
			case err != nil:
				return s.fail(err)
			}
			continue
		}
		if !s.keepText {
			// white space between markup: nobody wants it, skip it here
			b, i := w.buf[:w.lim], w.pos
			for i < len(b) && class[b[i]]&cSpace != 0 {
				i++
				// indentation: runs of spaces, eight at a time
				for i+8 <= len(b) {
					x := binary.LittleEndian.Uint64(b[i:]) ^ 0x2020202020202020
					if x != 0 {
						i += bits.TrailingZeros64(x) >> 3
						break
					}
					i += 8
				}
			}
			w.pos = i
			if i == len(b) {
				continue
			}
		}
		s.scratch = s.scratch[:0]
		s.at = w.base + int64(w.pos)
		var err error
		if w.buf[w.pos] == '<' {
			// the two common cases first, without going through markup
			if w.pos+1 < w.lim {
				switch c := w.buf[w.pos+1]; {
				case c == '/':
					err = s.endTag()
				case class[c]&cNameStart != 0:
					err = s.startTag()
				default:
					err = s.markup()
				}
			} else {
				err = errNeedMore
			}
		} else {
			err = s.chars()
		}
		switch {
		case err == nil:
			return nil
		case err == errSkip:
			continue
		case err == errNeedMore:
			switch e := w.more(w.pos); {
			case e == io.EOF:
				return s.fail(s.cutOff())
			case e != nil:
				return s.fail(e)
			}
		default:
			return s.fail(err)
		}
	}
}

// atEOF is the end of the input between tokens.
func (s *scanner) atEOF() error {
	switch {
	case s.nopen > 0:
		return s.fail(s.errAt(s.w.end, "unexpected end of document: <%s> and %d enclosing elements not closed",
			s.elemName(&s.elems[s.nopen-1]), s.nopen-1))
	case !s.rootSeen:
		return s.fail(s.errAt(s.w.end, "no root element"))
	}
	s.kind = tokEOF
	return nil
}

// cutOff is the end of the input inside a token.
func (s *scanner) cutOff() error {
	w := &s.w
	if w.buf[w.pos] != '<' && s.nopen == 0 {
		// trailing text after the root (or before it): only white space is allowed there
		b := w.buf[w.pos:w.end]
		for i, c := range b {
			if !isSpace(c) {
				return s.errAt(w.pos+i, "text outside the root element")
			}
		}
		w.pos = w.end
		return s.atEOF()
	}
	if s.nopen > 0 {
		return s.errAt(w.end, "unexpected end of document inside <%s>", s.elemName(&s.elems[s.nopen-1]))
	}
	return s.errAt(w.end, "unexpected end of document inside markup")
}

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
	j := i
	for j < len(b) && class[b[j]]&(cTextSpecial|cLT) == 0 {
		j++
	}
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

// startTag scans a start tag or empty-element tag and does its namespace processing.
func (s *scanner) startTag() error {
	w := &s.w
	b := w.buf[:w.lim]
	p := w.pos
	// Element and attribute names: a plain ASCII name ends at space, '>', '/' or '='; anything else
	// (':' or non-ASCII included) takes scanName.
	n, colon := p+1, -1
	if n < len(b) && class[b[n]]&cNameStart != 0 && b[n] != ':' {
		n++
		for n < len(b) && class[b[n]]&cPlain != 0 {
			n++
		}
	}
	if n == p+1 || n >= len(b) || (class[b[n]]&cSpace == 0 && b[n] != '>' && b[n] != '/') {
		var err error
		if n, colon, err = s.scanName(b, p+1, "an element name"); err != nil {
			return err
		}
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
		for i < len(b) && class[b[i]]&cSpace != 0 {
			i++
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
		an, acolon := i, -1
		if class[b[an]]&cNameStart != 0 && b[an] != ':' {
			an++
			for an < len(b) && class[b[an]]&cPlain != 0 {
				an++
			}
		}
		if an == i || an >= len(b) || (class[b[an]]&cSpace == 0 && b[an] != '=') {
			var err error
			if an, acolon, err = s.scanName(b, i, "an attribute name"); err != nil {
				return err
			}
		}
		aname, i0 := b[i:an], i
		if acolon >= 0 {
			acolon -= i
		}
		if aname[0] == 'x' && len(aname) >= 5 && string(aname[:5]) == "xmlns" {
			xmlns = true
		} else if acolon >= 0 {
			prefixedAttrs++
		}
		i = an
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
		q := b[i]
		if q != '"' && q != '\'' {
			return s.errAt(i, "value of attribute %s in <%s> is not quoted", aname, qname)
		}
		// One pass to the closing quote; a value with anything to normalise takes the slow path.
		j := i + 1
		for j < len(b) && class[b[j]]&(cAttrSpecial|cQuote) == 0 {
			j++
		}
		if j >= len(b) {
			return errNeedMore
		}
		if s.nattr == len(s.attrs) {
			s.attrs = append(s.attrs, make([]attr, len(s.attrs)+8)...)
		}
		a := &s.attrs[s.nattr]
		*a = attr{off: int32(i0), n: int32(len(aname)), colon: int32(acolon), voff: int32(i + 1), vn: int32(j - i - 1)}
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
	if xmlns || prefixedAttrs > 0 || colon >= 0 || s.nattr > 1 {
		if err := s.namespaces(qname, colon, xmlns, prefixedAttrs, p); err != nil {
			return err
		}
	} else {
		// the common case: no declarations, no prefixes, at most one attribute
		s.ns, s.local = s.defNS, qname
		s.elems[s.nopen] = open{off: -1, n: int32(len(qname)), binds: int32(len(s.binds)), start: s.w.base + int64(p)}
		s.nopen++
	}
	s.rootSeen = true
	s.kind, s.qname = tokStart, qname
	w.pos = i
	if s.selfClose {
		s.popAfter = true
	}
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

// namespaces applies the tag's declarations, resolves element and attribute names, checks attribute
// uniqueness and pushes the element.
func (s *scanner) namespaces(qname []byte, colon int, xmlns bool, prefixedAttrs int, p int) error {
	nb := len(s.binds)
	attrs := s.attrs[:s.nattr]
	for k := range attrs {
		if !xmlns {
			break
		}
		a := &attrs[k]
		q := s.aname(a)
		if len(q) < 5 || q[0] != 'x' || string(q[:5]) != "xmlns" || (len(q) > 5 && q[5] != ':') {
			continue
		}
		a.ns = nsXMLNS
		var prefix []byte
		if len(q) > 5 {
			prefix = q[6:]
			if len(prefix) == 0 || bytes.IndexByte(prefix, ':') >= 0 {
				return s.errAt(p, "invalid namespace declaration %s", q)
			}
		}
		uri := s.aval(a)
		switch {
		case string(prefix) == "xmlns":
			return s.errAt(p, "the xmlns prefix cannot be declared")
		case string(prefix) == "xml" && string(uri) != uriXML, string(prefix) != "xml" && string(uri) == uriXML:
			return s.errAt(p, "the xml prefix is bound to %s only", uriXML)
		case string(uri) == uriXMLNS:
			return s.errAt(p, "the namespace %s cannot be declared", uriXMLNS)
		case len(prefix) > 0 && len(uri) == 0:
			return s.errAt(p, "namespace prefix %s bound to an empty URI", prefix)
		}
		ns := nsOther
		switch string(uri) {
		case uriODM:
			ns = nsODM
		case uriMdsol:
			ns = nsMdsol
		case uriXML:
			ns = nsXML
		case "":
			ns = nsNone
		}
		off := len(s.nsArena)
		s.nsArena = append(append(s.nsArena, prefix...), uri...)
		s.binds = append(s.binds, binding{off: int32(off), plen: int32(len(prefix)), ulen: int32(len(uri)), ns: ns})
		if prefix == nil {
			s.defNS = ns
		}
	}
	if colon < 0 {
		s.ns, s.local = s.defNS, qname
	} else {
		prefix, local, ok := splitQName(qname, colon)
		if !ok {
			return s.errAt(p, "invalid qualified name %s", qname)
		}
		ns, _, ok := s.lookup(prefix)
		if !ok {
			return s.errAt(p, "undeclared namespace prefix %s in <%s>", prefix, qname)
		}
		s.ns, s.local = ns, local
	}
	prefixed := 0
	for k := range attrs {
		if !xmlns && prefixedAttrs == 0 {
			break // unprefixed attributes are in no namespace (the zero nsID)
		}
		a := &attrs[k]
		if a.ns == nsXMLNS {
			continue
		}
		ap, _, ok := splitQName(s.aname(a), int(a.colon))
		if !ok {
			return s.errAt(p, "invalid qualified name %s", s.aname(a))
		}
		if ap == nil {
			a.ns = nsNone
			continue
		}
		prefixed++
		a.ns, _, ok = s.lookup(ap)
		if !ok {
			return s.errAt(p, "undeclared namespace prefix %s in attribute %s", ap, s.aname(a))
		}
	}
	for k := 1; k < len(attrs); k++ {
		for j := 0; j < k; j++ {
			if attrs[k].n == attrs[j].n && string(s.aname(&attrs[k])) == string(s.aname(&attrs[j])) {
				return s.errAt(p, "duplicate attribute %s in <%s>", s.aname(&attrs[k]), qname)
			}
		}
	}
	if prefixed > 1 {
		if err := s.expandedDuplicates(qname, p); err != nil {
			return err
		}
	}
	s.elems[s.nopen] = open{off: -1, n: int32(len(qname)), binds: int32(nb), start: s.w.base + int64(p)}
	s.nopen++
	return nil
}

// expandedDuplicates rejects two prefixed attributes with the same namespace URI and local name.
func (s *scanner) expandedDuplicates(qname []byte, p int) error {
	for k := 1; k < s.nattr; k++ {
		ak := &s.attrs[k]
		if ak.ns == nsXMLNS || ak.colon < 0 {
			continue
		}
		for j := 0; j < k; j++ {
			aj := &s.attrs[j]
			if aj.ns == nsXMLNS || aj.colon < 0 || !bytes.Equal(s.alocal(ak), s.alocal(aj)) {
				continue
			}
			_, uk, _ := s.lookup(s.aname(ak)[:ak.colon])
			_, uj, _ := s.lookup(s.aname(aj)[:aj.colon])
			if bytes.Equal(uk, uj) {
				return s.errAt(p, "attributes %s and %s in <%s> are the same name", s.aname(aj), s.aname(ak), qname)
			}
		}
	}
	return nil
}

// lookup resolves a prefix (nil: the default namespace) against the declarations in scope.
func (s *scanner) lookup(prefix []byte) (nsID, []byte, bool) {
	for k := len(s.binds) - 1; k >= 0; k-- {
		bd := &s.binds[k]
		if int(bd.plen) != len(prefix) {
			continue
		}
		if string(s.nsArena[bd.off:bd.off+bd.plen]) == string(prefix) {
			return bd.ns, s.nsArena[bd.off+bd.plen : bd.off+bd.plen+bd.ulen], true
		}
	}
	switch {
	case prefix == nil:
		return nsNone, nil, true
	case string(prefix) == "xml":
		return nsXML, []byte(uriXML), true
	}
	return nsOther, nil, false
}

// pop closes the innermost element.
func (s *scanner) pop() {
	s.nopen--
	top := &s.elems[s.nopen]
	if top.off >= 0 {
		s.names = s.names[:top.off]
	}
	if int(top.binds) < len(s.binds) {
		s.nsArena = s.nsArena[:s.binds[top.binds].off]
		s.binds = s.binds[:top.binds]
		s.defNS, _, _ = s.lookup(nil)
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
	i := w.pos
	for i < len(b) && class[b[i]]&(cTextSpecial|cLT) == 0 {
		i++
	}
	name := s.elemName(&s.elems[s.nopen-1])
	e := i + 2 + len(name)
	if e >= len(b) || b[i] != '<' || b[i+1] != '/' || b[e] != '>' || string(b[i+2:e]) != string(name) {
		return nil, false
	}
	text := b[w.pos:i]
	w.pos = e + 1
	s.pop()
	return text, true
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
