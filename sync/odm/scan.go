package odm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math/bits"
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
	code       attrCode // the local name, as far as the reader cares
	valScratch bool     // the value lives in scratch, not in the window
	lex        int32    // the name, kept (intern.go), -1 if not
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

// open is an element whose end tag has not been seen yet. Its name is read from the window at start+1
// for as long as the start tag is in it; when the window is about to drop it, saveNames copies the
// name to scanner.names (off >= 0). Most elements end before that, so most names are never copied.
type open struct {
	off   int32 // offset in scanner.names, -1 while the name is in the window
	n     int32 // name length
	binds int32 // len(scanner.binds) before this element's declarations
	defNS nsID  // the default namespace before them
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
	elem      elem   // the local name, as far as the reader cares (which also checks ns)
	attrs     []attr // attrs[:nattr] are the current tag's
	nattr     int
	text      []byte
	textWS    bool // text is white space only (never set for a CDATA section)

	keepText bool // hand out white-space-only text too (the reader is collecting a value)

	scratch  []byte
	elems    []open // elems[:nopen] are open, outermost first
	nopen    int
	nsaved   int // elems[:nsaved] have their names in names (their start tags may have left the window)
	names    []byte
	binds    []binding
	nsArena  []byte
	nsTab    []int32 // hash index of binds by prefix: binding index + 1, 0 for a free slot
	attrTab  []int32 // hash index of a tag's attributes when it has many
	seed     maphash.Seed
	seeded   bool
	lex      []lexName // kept names, see intern.go; they outlive Reset
	lexIndex []int32   // hash index of lex by bytes: index + 1, 0 for a free slot
	lastTag  int32     // the kept name of the last start tag, -1 if none
	bindGen  uint64    // changes whenever the declarations in scope do
	defNS    nsID      // the default namespace in scope

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
	s.nopen, s.nsaved = 0, 0
	s.names = s.names[:0]
	s.binds = s.binds[:0]
	s.nsArena = s.nsArena[:0]
	s.nsTab = s.nsTab[:0] // rebuilt at the first declaration
	s.lastTag = -1
	s.bindGen++
	if !s.seeded {
		s.seed, s.seeded = maphash.MakeSeed(), true
	}
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

// saveNames copies out the names of open elements whose start tags the window is about to drop. Start
// offsets grow from the outermost element in, so the saved ones are always the outermost nsaved: each
// name is copied once and no element is looked at twice.
func (s *scanner) saveNames(limit int64) {
	for ; s.nsaved < s.nopen && s.elems[s.nsaved].start < limit; s.nsaved++ {
		o := &s.elems[s.nsaved]
		o.off = int32(len(s.names))
		at := int(o.start-s.w.base) + 1
		s.names = append(s.names, s.w.buf[at:at+int(o.n)]...)
		s.w.steps++
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
		b := w.buf[:w.lim]
		if !s.keepText && b[w.pos] <= ' ' {
			// white space between markup, which nobody wants
			i := skipSpace(b, w.pos)
			w.pos = i
			if i == len(b) {
				continue
			}
		}
		s.scratch = s.scratch[:0]
		p := w.pos
		s.at = w.base + int64(p)
		var err error
		if b[p] == '<' {
			// the two common cases first, without going through markup
			if p+1 < len(b) {
				switch c := b[p+1]; {
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
			w.steps += int64(w.lim - w.pos) // scanned to lim, and scanned again once more is read
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

// skipSpace returns the index of the first byte from b[i] on that is not white space, or len(b); the
// bytes must have passed the window's check, which lets no byte below 0x20 through but TAB, LF and CR,
// so white space is every byte up to ' '. A word at a time to the first byte above it: the lowest mark
// is right, as the carries of bytes of 0x80 and more only reach the bytes above them.
func skipSpace(b []byte, i int) int {
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		if m := (x + 0x5f5f5f5f5f5f5f5f | x) & hi64; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	for i < len(b) && b[i] <= ' ' {
		i++
	}
	return i
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
