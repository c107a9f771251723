package odm

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// ContextRepeatKey is the ItemGroupRepeatKey that asks Rave to find the log line by the value of its
// Context item (an ItemData written with TransactionType "Context") instead of by line number.
const ContextRepeatKey = "@CONTEXT"

// Header is what the ODM root element of a written document says about the file.
type Header struct {
	FileOID             string    // required: unique per document (Rave keeps it for idempotency checks)
	Created             time.Time // CreationDateTime; the zero time means now
	Originator          string
	SourceSystem        string
	SourceSystemVersion string
}

// Subject opens a SubjectData and, when Site is set, writes its SiteRef.
type Subject struct {
	Key             string // SubjectKey, required
	Site            string // SiteRef LocationOID
	TransactionType string
}

// Container opens a StudyEventData, FormData or ItemGroupData.
type Container struct {
	OID             string // StudyEventOID, FormOID or ItemGroupOID, required
	RepeatKey       string // StudyEventRepeatKey, FormRepeatKey or ItemGroupRepeatKey (ContextRepeatKey for @CONTEXT)
	TransactionType string
}

// Item is one ItemData.
type Item struct {
	OID             string // ItemOID, required
	Value           string
	IsNull          bool // IsNull="Yes"; Value must then be empty
	TransactionType string
}

// Writer builds an ODM 1.3 transactional document: ODM > ClinicalData > SubjectData (> SiteRef) >
// StudyEventData > FormData > ItemGroupData > ItemData. Each Start call opens an element inside the
// innermost open one, End closes the innermost, Close closes them all and flushes. Every value is
// escaped; a value that XML 1.0 cannot carry (invalid UTF-8, control characters) is an error rather
// than a document Rave would reject or misread.
//
// Written and CloseSize let a caller keep a POST under a byte limit: before adding a subject, check
// that Written() + its size + CloseSize() stays under the limit (or write it to a scratch Writer first).
type Writer struct {
	bw    *bufio.Writer
	h     Header
	n     int64
	open  []string // names of the open elements, outermost first
	began bool
	err   error
	buf   []byte
}

// NewWriter returns a Writer that writes to w. Nothing is written before the first Start call.
func NewWriter(w io.Writer, h Header) *Writer {
	return &Writer{bw: bufio.NewWriter(w), h: h}
}

// Written returns the number of bytes the document has so far (buffered bytes included).
func (w *Writer) Written() int64 { return w.n }

// CloseSize returns the number of bytes Close would add: the end tags of the open elements, and the
// whole empty document when nothing has been started yet.
func (w *Writer) CloseSize() int64 {
	if !w.began {
		return int64(len(w.prolog())) + int64(len(endTag(0, "ODM")))
	}
	var n int64
	for d := len(w.open) - 1; d >= 0; d-- {
		n += int64(len(endTag(d, w.open[d])))
	}
	return n
}

var errWriterClosed = errors.New("odm: writer closed")

func (w *Writer) write(b []byte) {
	if w.err != nil {
		return
	}
	n, err := w.bw.Write(b)
	w.n += int64(n)
	if err != nil {
		w.err = fmt.Errorf("writing ODM: %w", err)
	}
}

func (w *Writer) prolog() string {
	created := w.h.Created
	if created.IsZero() {
		created = time.Now()
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<ODM xmlns="` + uriODM + `" xmlns:mdsol="` + uriMdsol + `"`)
	b.WriteString(` FileType="Transactional" ODMVersion="1.3"`)
	fmt.Fprintf(&b, ` FileOID="%s" CreationDateTime="%s"`, escapeAttr(w.h.FileOID), created.Format("2006-01-02T15:04:05"))
	for _, a := range [][2]string{{"Originator", w.h.Originator}, {"SourceSystem", w.h.SourceSystem},
		{"SourceSystemVersion", w.h.SourceSystemVersion}} {
		if a[1] != "" {
			fmt.Fprintf(&b, ` %s="%s"`, a[0], escapeAttr(a[1]))
		}
	}
	b.WriteString(">\n")
	return b.String()
}

func endTag(depth int, name string) string {
	return strings.Repeat("  ", depth) + "</" + name + ">\n"
}

// start opens element name inside parent (the innermost open element must be parent).
func (w *Writer) start(name, parent string, attrs [][2]string, empty bool) error {
	if w.err != nil {
		return w.err
	}
	if !w.began {
		if w.h.FileOID == "" {
			return errors.New("odm: Header.FileOID is required")
		}
		w.began = true
		w.write([]byte(w.prolog()))
		w.open = append(w.open, "ODM")
	}
	if len(w.open) == 0 {
		return errWriterClosed
	}
	if top := w.open[len(w.open)-1]; top != parent {
		return fmt.Errorf("odm: <%s> must be written inside <%s>, not <%s>", name, parent, top)
	}
	b := w.buf[:0]
	b = append(b, strings.Repeat("  ", len(w.open))...)
	b = append(b, '<')
	b = append(b, name...)
	for _, a := range attrs {
		if a[1] == "" && a[0] != "Value" {
			continue
		}
		if err := checkXMLText(a[1]); err != nil {
			return fmt.Errorf("odm: <%s> %s: %w", name, a[0], err)
		}
		b = append(b, ' ')
		b = append(b, a[0]...)
		b = append(b, '=', '"')
		b = appendEscapedAttr(b, a[1])
		b = append(b, '"')
	}
	if empty {
		b = append(b, "/>\n"...)
	} else {
		b = append(b, ">\n"...)
		w.open = append(w.open, name)
	}
	w.buf = b
	w.write(b)
	return w.err
}

func checkTT(tt string) error {
	if tt != "" && !validTransactionType([]byte(tt)) {
		return fmt.Errorf("odm: invalid TransactionType %q", tt)
	}
	return nil
}

// StartClinicalData opens a ClinicalData for a study (StudyOID) and metadata version.
func (w *Writer) StartClinicalData(studyOID, metaDataVersionOID string) error {
	if studyOID == "" || metaDataVersionOID == "" {
		return errors.New("odm: ClinicalData needs StudyOID and MetaDataVersionOID")
	}
	return w.start("ClinicalData", "ODM", [][2]string{{"StudyOID", studyOID}, {"MetaDataVersionOID", metaDataVersionOID}}, false)
}

// StartSubject opens a SubjectData inside the open ClinicalData and writes its SiteRef.
func (w *Writer) StartSubject(s Subject) error {
	if s.Key == "" {
		return errors.New("odm: SubjectData needs a SubjectKey")
	}
	if err := checkTT(s.TransactionType); err != nil {
		return err
	}
	if err := w.start("SubjectData", "ClinicalData", [][2]string{{"SubjectKey", s.Key}, {"TransactionType", s.TransactionType}}, false); err != nil {
		return err
	}
	if s.Site != "" {
		return w.start("SiteRef", "SubjectData", [][2]string{{"LocationOID", s.Site}}, true)
	}
	return nil
}

func (w *Writer) container(name, parent, oidAttr, repeatAttr string, c Container) error {
	if c.OID == "" {
		return fmt.Errorf("odm: %s needs %s", name, oidAttr)
	}
	if err := checkTT(c.TransactionType); err != nil {
		return err
	}
	return w.start(name, parent, [][2]string{{oidAttr, c.OID}, {repeatAttr, c.RepeatKey}, {"TransactionType", c.TransactionType}}, false)
}

// StartEvent opens a StudyEventData inside the open SubjectData.
func (w *Writer) StartEvent(c Container) error {
	return w.container("StudyEventData", "SubjectData", "StudyEventOID", "StudyEventRepeatKey", c)
}

// StartForm opens a FormData inside the open StudyEventData.
func (w *Writer) StartForm(c Container) error {
	return w.container("FormData", "StudyEventData", "FormOID", "FormRepeatKey", c)
}

// StartItemGroup opens an ItemGroupData inside the open FormData.
func (w *Writer) StartItemGroup(c Container) error {
	return w.container("ItemGroupData", "FormData", "ItemGroupOID", "ItemGroupRepeatKey", c)
}

// Item writes one ItemData inside the open ItemGroupData.
func (w *Writer) Item(it Item) error {
	if it.OID == "" {
		return errors.New("odm: ItemData needs an ItemOID")
	}
	if err := checkTT(it.TransactionType); err != nil {
		return err
	}
	attrs := [][2]string{{"ItemOID", it.OID}, {"TransactionType", it.TransactionType}}
	switch {
	case it.IsNull && it.Value != "":
		return fmt.Errorf("odm: ItemData %s has IsNull and a value", it.OID)
	case it.IsNull:
		attrs = append(attrs, [2]string{"IsNull", "Yes"})
	default:
		attrs = append(attrs, [2]string{"Value", it.Value})
	}
	return w.start("ItemData", "ItemGroupData", attrs, true)
}

// End closes the innermost open element (never the ODM root: Close does that).
func (w *Writer) End() error {
	if w.err != nil {
		return w.err
	}
	if len(w.open) < 2 {
		return errors.New("odm: End with no open element")
	}
	d := len(w.open) - 1
	w.write([]byte(endTag(d, w.open[d])))
	w.open = w.open[:d]
	return w.err
}

// Depth returns the number of open elements below the ODM root (1 inside ClinicalData, 2 inside
// SubjectData, …).
func (w *Writer) Depth() int {
	if len(w.open) == 0 {
		return 0
	}
	return len(w.open) - 1
}

// Close closes every open element, ends the document and flushes it. It does not close the
// underlying io.Writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if !w.began {
		if w.h.FileOID == "" {
			return errors.New("odm: Header.FileOID is required")
		}
		w.began = true
		w.write([]byte(w.prolog()))
		w.open = append(w.open, "ODM")
	}
	for d := len(w.open) - 1; d >= 0; d-- {
		w.write([]byte(endTag(d, w.open[d])))
	}
	w.open = w.open[:0]
	if w.err == nil {
		if err := w.bw.Flush(); err != nil {
			w.err = fmt.Errorf("writing ODM: %w", err)
			return w.err
		}
		w.err = errWriterClosed
		return nil
	}
	return w.err
}

// checkXMLText rejects what no XML 1.0 document can carry.
func checkXMLText(s string) error {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return fmt.Errorf("invalid UTF-8 at byte %d", i)
			}
		}
		if !isXMLChar(r) {
			return fmt.Errorf("character U+%04X at byte %d cannot be written in XML", r, i)
		}
	}
	return nil
}

// appendEscapedAttr escapes an attribute value so that a reader normalising it as XML 1.0 says gets
// exactly s back: markup characters as entities, and TAB, LF, CR as character references.
func appendEscapedAttr(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			esc = "&quot;"
		case '\t':
			esc = "&#9;"
		case '\n':
			esc = "&#10;"
		case '\r':
			esc = "&#13;"
		default:
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, esc...)
		last = i + 1
	}
	return append(b, s[last:]...)
}

func escapeAttr(s string) string { return string(appendEscapedAttr(nil, s)) }
