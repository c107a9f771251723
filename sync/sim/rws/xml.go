package rws

import (
	"io"
	"strconv"
	"strings"
	"time"
)

const (
	odmNS   = "http://www.cdisc.org/ns/odm/v1.3"
	mdsolNS = "http://www.mdsol.com/ns/odm/metadata"
)

// odmWriter accumulates XML in a buffer and hands it to the answer in large writes.
type odmWriter struct {
	w   io.Writer
	b   []byte
	err error
}

func newODMWriter(w io.Writer) *odmWriter { return &odmWriter{w: w, b: make([]byte, 0, 64<<10)} }

func (o *odmWriter) s(parts ...string) {
	for _, p := range parts {
		o.b = append(o.b, p...)
	}
	o.maybeFlush()
}

// attr writes ` name="value"` with value escaped as an XML attribute.
func (o *odmWriter) attr(name, value string) {
	o.b = append(o.b, ' ')
	o.b = append(o.b, name...)
	o.b = append(o.b, '=', '"')
	o.b = appendEscaped(o.b, value)
	o.b = append(o.b, '"')
}

func (o *odmWriter) text(value string) { o.b = appendEscaped(o.b, value) }

func (o *odmWriter) int(n int64) { o.b = strconv.AppendInt(o.b, n, 10) }

func (o *odmWriter) maybeFlush() {
	if len(o.b) >= 48<<10 {
		o.flush()
	}
}

func (o *odmWriter) flush() {
	if len(o.b) == 0 || o.err != nil {
		o.b = o.b[:0]
		return
	}
	_, o.err = o.w.Write(o.b)
	o.b = o.b[:0]
}

// appendEscaped escapes for attribute values and text alike: the five XML specials, and tab, newline
// and carriage return as character references so that attribute normalisation keeps them.
func appendEscaped(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case '&':
			rep = "&amp;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '"':
			rep = "&quot;"
		case '\'':
			rep = "&apos;"
		case '\n':
			rep = "&#10;"
		case '\r':
			rep = "&#13;"
		case '\t':
			rep = "&#9;"
		default:
			continue
		}
		b = append(b, s[start:i]...)
		b = append(b, rep...)
		start = i + 1
	}
	return append(b, s[start:]...)
}

func xmlAttr(s string) string { return string(appendEscaped(nil, s)) }

// odmOpen writes the ODM root start tag. Datasets and listings come with a byte order mark and an
// XML declaration; audit pages come with neither.
func (o *odmWriter) odmOpen(fileType string, declaration bool) {
	if declaration {
		o.s("\uFEFF", `<?xml version="1.0" encoding="utf-8"?>`, "\n")
	}
	o.s(`<ODM FileType="`, fileType, `" FileOID="`, newUUID(), `" CreationDateTime="`, odmNow(),
		`" ODMVersion="1.3" xmlns:mdsol="`, mdsolNS, `" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns="`, odmNS, "\">\n")
}

func rwsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") }

// metaVersion is the study's MetaDataVersionOID.
const metaVersion = "12"

// contextOpen writes StudyEventData/FormData/ItemGroupData start tags for ref; ids give the mdsol
// instance, data page and record IDs Rave adds.
func (o *odmWriter) contextOpen(ref itemRef, ids [3]int64, withIDs bool) {
	o.s("<StudyEventData")
	o.attr("StudyEventOID", ref.event)
	if ref.eventRepeat != "" {
		o.attr("StudyEventRepeatKey", ref.eventRepeat)
	}
	if withIDs {
		o.s(` mdsol:InstanceId="`)
		o.int(ids[0])
		o.s(`"`)
	}
	o.s("><FormData")
	o.attr("FormOID", ref.form)
	o.attr("FormRepeatKey", orOne(ref.formRepeat))
	if withIDs {
		o.s(` mdsol:DataPageId="`)
		o.int(ids[1])
		o.s(`"`)
	}
	o.s("><ItemGroupData")
	o.attr("ItemGroupOID", ref.group)
	if ref.groupRepeat != "" {
		o.attr("ItemGroupRepeatKey", ref.groupRepeat)
	}
	if withIDs {
		o.s(` mdsol:RecordId="`)
		o.int(ids[2])
		o.s(`"`)
	}
	o.s(">")
}

func (o *odmWriter) contextClose() { o.s("</ItemGroupData></FormData></StudyEventData>") }

func orOne(s string) string {
	if s == "" {
		return "1"
	}
	return s
}

// sameContext reports whether a and b share StudyEventData/FormData/ItemGroupData.
func sameContext(a, b itemRef) bool {
	return a.event == b.event && a.eventRepeat == b.eventRepeat && a.form == b.form &&
		a.formRepeat == b.formRepeat && a.group == b.group && a.groupRepeat == b.groupRepeat
}

func equalFoldOID(a, b string) bool { return strings.EqualFold(a, b) }
