package checklist

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Adapter converts between one system's JSON records and canonical Items, as its Mapping says. It holds
// no state beyond the mapping and is safe for concurrent use.
type Adapter struct {
	sys   System
	m     Mapping
	words [4]string // the vocabulary, normalised, in the order of statuses
	path  *strings.Replacer
}

// NewAdapter checks m and returns the adapter for system sys. The error names every problem of the
// mapping on one line.
func NewAdapter(sys System, m Mapping) (*Adapter, error) {
	if sys != EDC && sys != CTMS {
		return nil, fmt.Errorf("checklist system %q: must be %q or %q", sys, EDC, CTMS)
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("%s mapping: %w", sys.Label(), err)
	}
	a := &Adapter{sys: sys, m: m}
	for i, s := range statuses {
		a.words[i] = normText(m.Statuses[s])
	}
	return a, nil
}

// System is the system this adapter speaks for.
func (a *Adapter) System() System { return a.sys }

// Holds reports whether the system has a field for f. A field it does not hold is never written to it.
func (a *Adapter) Holds(f Field) bool { return a.m.Fields.of(f) != "" }

// Record is one raw record of a system with its canonical reading. A record that could not be read is
// unmapped: Defect says why, Raw keeps it exactly as received, and Item holds only what could be read (at
// least Site and Code when the record has them, so it still lines up with the other system).
type Record struct {
	System System          `json:"system"`
	Item   Item            `json:"item"`
	Raw    json.RawMessage `json:"raw"`
	Defect string          `json:"defect,omitempty"`
	// SourceSite and SourceCode are the system's own spelling of the item's key: its PUT path uses them.
	SourceSite string `json:"source_site,omitempty"`
	SourceCode string `json:"source_code,omitempty"`
}

// Key is the record's item key (empty when the record has no readable site or code).
func (r *Record) Key() Key { return r.Item.Key() }

// Mapped reports whether the record was read without a defect.
func (r *Record) Mapped() bool { return r.Defect == "" }

// Decode reads one raw record (a JSON object). It never fails: a record that cannot be read comes back
// unmapped, with every problem in Defect, and nothing in it is defaulted. The Record keeps raw; the caller
// must not modify it afterwards.
func (a *Adapter) Decode(raw json.RawMessage) Record {
	rec := Record{System: a.sys, Raw: raw}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		rec.Defect = "the record is not a JSON object"
		return rec
	}
	d := decoder{obj: obj}
	n := &a.m.Fields
	rec.SourceSite = d.required(n.Site)
	rec.SourceCode = d.required(n.Code)
	it := &rec.Item
	it.Site, it.Code = normCode(rec.SourceSite), normCode(rec.SourceCode)
	if n.Version != "" {
		it.Version = normCode(d.text(n.Version))
	}
	if word, ok := d.status(n.Status); ok {
		it.Status = a.status(word, &d, n.Status)
	}
	if n.EvidenceDocID != "" {
		it.EvidenceDocID = normCode(d.text(n.EvidenceDocID))
	}
	if n.MilestoneSignedOff != "" {
		it.MilestoneSignedOff = d.flag(n.MilestoneSignedOff)
	}
	if n.PlannedActivationDate != "" {
		it.PlannedActivationDate = d.date(n.PlannedActivationDate)
	}
	if s := d.required(n.SourceUpdated); s != "" {
		t, err := parseTime(s)
		if err != nil {
			d.fail("%s %v", n.SourceUpdated, err)
		}
		it.SourceUpdated = t
	}
	if n.Operator != "" {
		it.Operator = normText(d.text(n.Operator))
	}
	rec.Defect = strings.Join(d.problems, "; ")
	return rec
}

// status maps the system's word to the canonical status; an unknown word is a defect, never a default.
func (a *Adapter) status(word string, d *decoder, name string) Status {
	w := normText(word)
	for i, v := range a.words {
		if strings.EqualFold(w, v) {
			return statuses[i]
		}
	}
	d.fail("%s %q is not in the %s vocabulary (%s)", name, word, a.sys.Label(), strings.Join(a.words[:], ", "))
	return ""
}

// decoder reads typed values out of one record's fields and collects every problem.
type decoder struct {
	obj      map[string]json.RawMessage
	problems []string
}

func (d *decoder) fail(format string, args ...any) {
	d.problems = append(d.problems, fmt.Sprintf(format, args...))
}

// text reads a string field; absent and null are "". A number is taken as written.
func (d *decoder) text(name string) string {
	s, _ := d.textOK(name)
	return s
}

// textOK is text, and whether the value was readable (the problem is recorded when it was not).
func (d *decoder) textOK(name string) (string, bool) {
	v, ok := d.obj[name]
	if !ok {
		return "", true
	}
	s, err := jsonText(v)
	if err != nil {
		d.fail("%s %v", name, err)
		return "", false
	}
	return s, true
}

// required reads a string field that must be present and not empty.
func (d *decoder) required(name string) string {
	s, ok := d.textOK(name)
	if ok && strings.TrimSpace(s) == "" {
		if _, present := d.obj[name]; !present {
			d.fail("%s is missing", name)
		} else {
			d.fail("%s is empty", name)
		}
	}
	return s
}

// status reads the status word; ok is false when it is missing (the problem is recorded).
func (d *decoder) status(name string) (string, bool) {
	before := len(d.problems)
	s := d.required(name)
	return s, len(d.problems) == before
}

// flag reads a yes/no field: JSON true or false, or the strings "true", "false", "yes", "no"; absent,
// null and "" are no.
func (d *decoder) flag(name string) Flag {
	v, ok := d.obj[name]
	if !ok {
		return FlagNo
	}
	v = bytes.TrimSpace(v)
	switch string(v) {
	case "true":
		return FlagYes
	case "false", "null":
		return FlagNo
	}
	if len(v) > 0 && v[0] == '"' {
		s, err := jsonText(v)
		switch strings.ToLower(normText(s)) {
		case "true", "yes":
			return FlagYes
		case "false", "no", "":
			if err == nil {
				return FlagNo
			}
		}
	}
	d.fail("%s %s is not true or false", name, v)
	return NoFlag
}

func (d *decoder) date(name string) Date {
	s := d.text(name)
	day, err := ParseDate(s)
	if err != nil {
		d.fail("%s %v", name, err)
	}
	return day
}

// jsonText is the text of a JSON string, number or null (""). Objects, arrays and booleans are errors.
func jsonText(v json.RawMessage) (string, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "", nil
	}
	switch c := v[0]; {
	case c == '"':
		if bytes.IndexByte(v, '\\') < 0 {
			return string(v[1 : len(v)-1]), nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", fmt.Errorf("is not a valid JSON string")
		}
		return s, nil
	case c == 'n':
		return "", nil
	case c == '-' || (c >= '0' && c <= '9'):
		return string(v), nil
	}
	return "", fmt.Errorf("%s is not text", v)
}

// ErrNotHeld is returned by Encode when asked to write a field the system does not hold: a field only one
// system holds is read from it, never written across.
var ErrNotHeld = errors.New("the system does not hold this field")

// Encode makes the PUT body that gives the system's record the values of fields from it. It starts from
// raw, the record as the system last sent it, so that every field trialsync does not know (and every field
// not listed) is kept; with raw nil it makes a new record holding the key and every field the system holds.
// The body is compact JSON with sorted keys, so the same inputs always give the same bytes.
func (a *Adapter) Encode(raw json.RawMessage, it *Item, fields []Field) ([]byte, error) {
	obj := map[string]json.RawMessage{}
	if raw != nil {
		if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
			return nil, fmt.Errorf("%s record %s: not a JSON object", a.sys.Label(), it.Key())
		}
	} else {
		obj[a.m.Fields.Site] = quote(it.Site)
		obj[a.m.Fields.Code] = quote(it.Code)
		fields = nil
		for f := range numFields {
			if a.Holds(f) {
				fields = append(fields, f)
			}
		}
	}
	for _, f := range fields {
		name := a.m.Fields.of(f)
		if name == "" {
			return nil, fmt.Errorf("%s record %s, field %s: %w", a.sys.Label(), it.Key(), f, ErrNotHeld)
		}
		obj[name] = a.encodeValue(f, it)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(obj); err != nil {
		return nil, fmt.Errorf("%s record %s: %w", a.sys.Label(), it.Key(), err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func (a *Adapter) encodeValue(f Field, it *Item) json.RawMessage {
	switch f {
	case FieldStatus:
		for i, s := range statuses {
			if s == it.Status {
				return quote(a.words[i])
			}
		}
		panic("checklist: encoding an item without a canonical status")
	case FieldMilestoneSignedOff:
		if it.MilestoneSignedOff == NoFlag {
			return json.RawMessage("null")
		}
		return json.RawMessage(it.MilestoneSignedOff.text())
	case FieldPlannedActivationDate:
		b, _ := it.PlannedActivationDate.MarshalJSON()
		return b
	}
	return quote(f.value(it))
}

func quote(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

// ItemPath is the path of the system's PUT for one item, from the system's own spelling of the key.
func (a *Adapter) ItemPath(site, code string) string {
	return strings.NewReplacer("{site}", url.PathEscape(site), "{code}", url.PathEscape(code)).Replace(a.m.ItemPath)
}

// ListPath is the path and query of one page of the listing: limit items of study, after cursor ("" for
// the first page).
func (a *Adapter) ListPath(study string, limit int, cursor string) string {
	q := url.Values{"study_id": {study}, "limit": {strconv.Itoa(limit)}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	return a.m.ListPath + "?" + q.Encode()
}

// Page is one page of a listing: the raw records, and the cursor of the next page ("" on the last).
type Page struct {
	Items      []json.RawMessage
	NextCursor string
}

// DecodePage reads a listing answer, {"items":[...],"next_cursor":"C"} (next_cursor null or absent on the
// last page). The records are left raw for Decode.
func (a *Adapter) DecodePage(body []byte) (Page, error) {
	var w struct {
		Items      *[]json.RawMessage `json:"items"`
		NextCursor *string            `json:"next_cursor"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return Page{}, fmt.Errorf("%s listing: not a JSON page of items: %w", a.sys.Label(), err)
	}
	if w.Items == nil {
		return Page{}, fmt.Errorf("%s listing: the answer has no items array", a.sys.Label())
	}
	p := Page{Items: *w.Items}
	if w.NextCursor != nil {
		p.NextCursor = *w.NextCursor
	}
	return p, nil
}
