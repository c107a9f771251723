package odm

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// oracleRows reads an ODM document with encoding/xml and applies the Reader's row rules: the reference
// the hand-written tokenizer is checked against. It handles well-formed documents only; ODM structure
// problems are reported as an error, not as block errors.
func oracleRows(doc []byte) ([]Row, error) {
	doc = bytes.TrimPrefix(doc, []byte{0xEF, 0xBB, 0xBF})
	utf16 := false
	if bytes.HasPrefix(doc, []byte{0xFF, 0xFE}) || bytes.HasPrefix(doc, []byte{0xFE, 0xFF}) {
		dec := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()
		out, _, err := transform.Bytes(dec, doc)
		if err != nil {
			return nil, err
		}
		doc, utf16 = out, true
	}
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		if utf16 && strings.HasPrefix(strings.ToUpper(label), "UTF-16") {
			return in, nil
		}
		e, err := ianaindex.IANA.Encoding(label)
		if err != nil || e == nil {
			return nil, fmt.Errorf("unsupported encoding %q", label)
		}
		return transform.NewReader(in, e.NewDecoder()), nil
	}
	o := &oracle{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return o.rows, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := o.start(t); err != nil {
				return nil, err
			}
		case xml.EndElement:
			o.end()
		case xml.CharData:
			if o.capture != nil {
				*o.capture += string(t)
			}
		}
	}
}

type olevel struct {
	oid, repeat, tt string
	audit           *Audit
	pending         bool
}

type oracle struct {
	rows                     []Row
	stack                    []string // local names, "" for skipped subtrees
	skip                     int
	study, mdv, subcat       string
	name, status             string
	site                     string
	subj, event, form, group olevel
	item                     olevel
	value                    string
	isNull                   bool
	arOwner                  *olevel
	capture                  *string
}

func attrOf(t xml.StartElement, space, local string) string {
	for _, a := range t.Attr {
		if a.Name.Space == space && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func (o *oracle) emit(k Kind, l *olevel) {
	r := Row{Kind: k, Study: o.study, MetaDataVersion: o.mdv, Subject: o.subj.oid, SubjectName: o.name,
		SubjectStatus: o.status, Site: o.site, TransactionType: l.tt}
	if k >= KindEvent || k == KindItem {
		r.Event, r.EventRepeat = o.event.oid, o.event.repeat
	}
	if k >= KindForm || k == KindItem {
		r.Form, r.FormRepeat = o.form.oid, o.form.repeat
	}
	if k >= KindItemGroup || k == KindItem {
		r.ItemGroup, r.ItemGroupRepeat = o.group.oid, o.group.repeat
	}
	if k == KindItem {
		r.Item, r.Value, r.IsNull = o.item.oid, o.value, o.isNull
	}
	if l.audit != nil {
		a := *l.audit
		a.SubCategory = o.subcat
		r.Audit = &a
	}
	o.rows = append(o.rows, r)
}

func (o *oracle) flush(k Kind, l *olevel) {
	if l.pending {
		l.pending = false
		if l.audit != nil || l.tt != "" {
			o.emit(k, l)
		}
	}
}

func (o *oracle) start(t xml.StartElement) error {
	if o.skip > 0 {
		o.skip++
		return nil
	}
	parent := ""
	if len(o.stack) > 0 {
		parent = o.stack[len(o.stack)-1]
	}
	if len(o.stack) == 0 && (t.Name.Space != uriODM || t.Name.Local != "ODM") {
		return fmt.Errorf("root is not ODM")
	}
	if len(o.stack) > 0 && t.Name.Space != uriODM {
		o.skip = 1
		return nil
	}
	name := t.Name.Local
	lv := func(l *olevel, oidAttr, repAttr string) {
		*l = olevel{oid: attrOf(t, "", oidAttr), repeat: attrOf(t, "", repAttr), tt: attrOf(t, "", "TransactionType"), pending: true}
	}
	switch {
	case parent == "" && name == "ODM":
	case parent == "ODM" && name == "ClinicalData":
		o.study, o.mdv = attrOf(t, "", "StudyOID"), attrOf(t, "", "MetaDataVersionOID")
		o.subcat = attrOf(t, uriMdsol, "AuditSubCategoryName")
	case parent == "ODM":
		o.skip = 1
		return nil
	case parent == "ClinicalData" && name == "SubjectData":
		lv(&o.subj, "SubjectKey", "")
		o.name, o.status, o.site = attrOf(t, uriMdsol, "SubjectName"), attrOf(t, uriMdsol, "Status"), ""
	case parent == "SubjectData" && name == "SiteRef":
		o.site = attrOf(t, "", "LocationOID")
		o.skip = 1
		return nil
	case parent == "SubjectData" && name == "StudyEventData":
		o.flush(KindSubject, &o.subj)
		lv(&o.event, "StudyEventOID", "StudyEventRepeatKey")
	case parent == "StudyEventData" && name == "FormData":
		o.flush(KindEvent, &o.event)
		lv(&o.form, "FormOID", "FormRepeatKey")
	case parent == "FormData" && name == "ItemGroupData":
		o.flush(KindForm, &o.form)
		lv(&o.group, "ItemGroupOID", "ItemGroupRepeatKey")
	case parent == "ItemGroupData" && strings.HasPrefix(name, "ItemData"):
		o.flush(KindItemGroup, &o.group)
		lv(&o.item, "ItemOID", "")
		o.isNull = attrOf(t, "", "IsNull") == "Yes"
		o.value = ""
		if name == "ItemData" {
			o.value = attrOf(t, "", "Value")
		} else {
			o.capture = &o.value
		}
	case name == "AuditRecord":
		switch parent {
		case "SubjectData":
			o.arOwner = &o.subj
		case "StudyEventData":
			o.arOwner = &o.event
		case "FormData":
			o.arOwner = &o.form
		case "ItemGroupData":
			o.arOwner = &o.group
		default:
			o.arOwner = &o.item
		}
		o.arOwner.audit = &Audit{}
	case parent == "AuditRecord":
		a := o.arOwner.audit
		switch name {
		case "UserRef":
			a.User = attrOf(t, "", "UserOID")
		case "LocationRef":
			a.Location = attrOf(t, "", "LocationOID")
		case "DateTimeStamp":
			o.capture = &a.Time
		case "ReasonForChange":
			o.capture = &a.Reason
		case "SourceID":
			o.capture = &a.SourceID
		}
	default:
		o.skip = 1
		return nil
	}
	o.stack = append(o.stack, name)
	return nil
}

func (o *oracle) end() {
	if o.skip > 0 {
		o.skip--
		return
	}
	name := o.stack[len(o.stack)-1]
	o.stack = o.stack[:len(o.stack)-1]
	o.capture = nil
	switch {
	case name == "SubjectData":
		o.flush(KindSubject, &o.subj)
	case name == "StudyEventData":
		o.flush(KindEvent, &o.event)
	case name == "FormData":
		o.flush(KindForm, &o.form)
	case name == "ItemGroupData":
		o.flush(KindItemGroup, &o.group)
	case strings.HasPrefix(name, "ItemData"):
		o.emit(KindItem, &o.item)
	}
}
