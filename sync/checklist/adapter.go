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
	names [numSlots]string
	slots map[string]int // a field's JSON key, quoted as it appears in a record, to its slot
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
	a := &Adapter{sys: sys, m: m, slots: map[string]int{}}
	for i, s := range statuses {
		a.words[i] = normText(m.Statuses[s])
	}
	n := &m.Fields
	a.names = [numSlots]string{n.Site, n.Code, n.Version, n.Status, n.EvidenceDocID, n.MilestoneSignedOff,
		n.PlannedActivationDate, n.SourceUpdated, n.Operator}
	for slot, name := range a.names {
		if name != "" {
			a.slots[string(quote(name))] = slot
		}
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
	// spelling keeps the system's own case of a code-like value (a version, a document ID) where it is not
	// the canonical upper case: codes compare ignoring case, but a write carries the owner's spelling.
	spelling *[numFields]string
}

// code normalises a code-like value of field f, remembering the system's spelling when it differs.
func (r *Record) code(f Field, s string) string {
	s = normText(s)
	c := strings.ToUpper(s)
	if c != s {
		if r.spelling == nil {
			r.spelling = new([numFields]string)
		}
		r.spelling[f] = s
	}
	return c
}

// spelt is the record's own spelling of canonical value v of field f (v itself when it has none).
func (r *Record) spelt(f Field, v string) string {
	if r != nil && r.spelling != nil && r.spelling[f] != "" && strings.ToUpper(r.spelling[f]) == v {
		return r.spelling[f]
	}
	return v
}

// Key is the record's item key (empty when the record has no readable site or code).
func (r *Record) Key() Key { return r.Item.Key() }

// Mapped reports whether the record was read without a defect.
func (r *Record) Mapped() bool { return r.Defect == "" }

// Decode reads one raw record (a JSON object). It never fails: a record that cannot be read comes back
// unmapped, with every problem in Defect, and nothing in it is defaulted. The Record keeps raw (and the
// strings it holds may share its memory); the caller must not modify raw afterwards.
func (a *Adapter) Decode(raw json.RawMessage) Record {
	rec := Record{System: a.sys, Raw: raw}
	d := decoder{names: &a.names}
	err := eachMember(raw, func(key []byte, v0, v1 int) {
		if slot, ok := a.slotOf(key); ok {
			d.val[slot] = raw[v0:v1]
		}
	})
	if err != nil {
		rec.Defect = "the record is not a JSON object"
		return rec
	}
	rec.SourceSite = d.required(slotSite)
	rec.SourceCode = d.required(slotCode)
	it := &rec.Item
	it.Site, it.Code = normCode(rec.SourceSite), normCode(rec.SourceCode)
	if a.names[slotVersion] != "" {
		it.Version = rec.code(FieldVersion, d.text(slotVersion))
	}
	if word, ok := d.status(); ok {
		it.Status = a.status(word, &d)
	}
	if a.names[slotEvidence] != "" {
		it.EvidenceDocID = rec.code(FieldEvidenceDocID, d.text(slotEvidence))
	}
	if a.names[slotMilestone] != "" {
		it.MilestoneSignedOff = d.flag(slotMilestone)
	}
	if a.names[slotPlanned] != "" {
		it.PlannedActivationDate = d.date(slotPlanned)
	}
	if s := d.required(slotUpdated); s != "" {
		t, err := parseTime(s)
		if err != nil {
			d.fail("%s %v", a.names[slotUpdated], err)
		}
		it.SourceUpdated = t
	}
	if a.names[slotOperator] != "" {
		it.Operator = normText(d.text(slotOperator))
	}
	rec.Defect = strings.Join(d.problems, "; ")
	return rec
}

// status maps the system's word to the canonical status; an unknown word is a defect, never a default.
func (a *Adapter) status(word string, d *decoder) Status {
	w := normText(word)
	for i, v := range a.words {
		if strings.EqualFold(w, v) {
			return statuses[i]
		}
	}
	d.fail("%s %q is not in the %s vocabulary (%s)", a.names[slotStatus], word, a.sys.Label(), strings.Join(a.words[:], ", "))
	return ""
}

// The fields of a raw record that Decode reads, by slot.
const (
	slotSite = iota
	slotCode
	slotVersion
	slotStatus
	slotEvidence
	slotMilestone
	slotPlanned
	slotUpdated
	slotOperator
	numSlots
)

// decoder reads typed values out of one record's fields and collects every problem.
type decoder struct {
	val      [numSlots][]byte // the raw value of each slot; nil when the record lacks it
	names    *[numSlots]string
	problems []string
}

func (d *decoder) fail(format string, args ...any) {
	d.problems = append(d.problems, fmt.Sprintf(format, args...))
}

// text reads a string field; absent and null are "". A number is taken as written.
func (d *decoder) text(slot int) string {
	s, _ := d.textOK(slot)
	return s
}

// textOK is text, and whether the value was readable (the problem is recorded when it was not).
func (d *decoder) textOK(slot int) (string, bool) {
	v := d.val[slot]
	if v == nil {
		return "", true
	}
	s, err := jsonText(v)
	if err != nil {
		d.fail("%s %v", d.names[slot], err)
		return "", false
	}
	return s, true
}

// required reads a string field that must be present and not empty.
func (d *decoder) required(slot int) string {
	s, ok := d.textOK(slot)
	if ok && strings.TrimSpace(s) == "" {
		if d.val[slot] == nil {
			d.fail("%s is missing", d.names[slot])
		} else {
			d.fail("%s is empty", d.names[slot])
		}
	}
	return s
}

// status reads the status word; ok is false when it is missing or unreadable (the problem is recorded).
func (d *decoder) status() (string, bool) {
	before := len(d.problems)
	s := d.required(slotStatus)
	return s, len(d.problems) == before
}

// flag reads a yes/no field: JSON true or false, or the strings "true", "false", "yes", "no"; absent,
// null and "" are no.
func (d *decoder) flag(slot int) Flag {
	v := d.val[slot]
	switch string(v) {
	case "", "false", "null":
		return FlagNo
	case "true":
		return FlagYes
	}
	if v[0] == '"' {
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
	d.fail("%s %s is not true or false", d.names[slot], v)
	return NoFlag
}

func (d *decoder) date(slot int) Date {
	s := d.text(slot)
	day, err := ParseDate(s)
	if err != nil {
		d.fail("%s %v", d.names[slot], err)
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
// raw, the record as the system last sent it, and replaces only the values of those fields, so every other
// byte — fields trialsync does not know, their order and spelling — is kept; a listed field the record
// lacks is added at the end. With raw nil it makes a new record holding the key and every field the system
// holds. The same inputs always give the same bytes.
func (a *Adapter) Encode(raw json.RawMessage, it *Item, fields []Field) ([]byte, error) {
	var set [numSlots]json.RawMessage
	if raw == nil {
		raw = json.RawMessage("{}")
		set[slotSite], set[slotCode] = quote(it.Site), quote(it.Code)
		fields = nil
		for f := range numFields {
			if a.Holds(f) {
				fields = append(fields, f)
			}
		}
	}
	for _, f := range fields {
		if !a.Holds(f) {
			return nil, fmt.Errorf("%s record %s, field %s: %w", a.sys.Label(), it.Key(), f, ErrNotHeld)
		}
		set[fieldSlot[f]] = a.encodeValue(f, it)
	}
	out := make([]byte, 0, len(raw)+64)
	var done [numSlots]bool
	last, members := 0, 0
	err := eachMember(raw, func(key []byte, v0, v1 int) {
		members++
		if slot, ok := a.slotOf(key); ok && set[slot] != nil {
			out = append(out, raw[last:v0]...)
			out = append(out, set[slot]...)
			last, done[slot] = v1, true
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%s record %s: not a JSON object", a.sys.Label(), it.Key())
	}
	end := bytes.LastIndexByte(raw, '}')
	out = append(out, raw[last:end]...)
	for slot, v := range set {
		if v == nil || done[slot] {
			continue
		}
		if members > 0 {
			out = append(out, ',')
		}
		members++
		out = append(out, quote(a.names[slot])...)
		out = append(out, ':')
		out = append(out, v...)
	}
	return append(out, raw[end:]...), nil
}

// fieldSlot is the decoder slot of each merged field.
var fieldSlot = [numFields]int{
	FieldVersion: slotVersion, FieldStatus: slotStatus, FieldEvidenceDocID: slotEvidence,
	FieldMilestoneSignedOff: slotMilestone, FieldPlannedActivationDate: slotPlanned,
}

// slotOf finds the slot of a record's raw key (with its quotes), also when the key is spelt with escapes.
func (a *Adapter) slotOf(key []byte) (int, bool) {
	if slot, ok := a.slots[string(key)]; ok {
		return slot, true
	}
	if bytes.IndexByte(key, '\\') < 0 {
		return 0, false
	}
	var k string
	if json.Unmarshal(key, &k) != nil {
		return 0, false
	}
	slot, ok := a.slots[string(quote(k))]
	return slot, ok
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
	// PathEscape escapes braces, so the site cannot bring a {code} placeholder of its own.
	p := strings.Replace(a.m.ItemPath, "{site}", url.PathEscape(site), 1)
	return strings.Replace(p, "{code}", url.PathEscape(code), 1)
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
// last page). The records are left raw for Decode; they share body's memory, so the caller must not modify
// body afterwards.
func (a *Adapter) DecodePage(body []byte) (Page, error) {
	var items, next []byte
	err := eachMember(body, func(key []byte, v0, v1 int) {
		switch string(key) {
		case `"items"`:
			items = body[v0:v1]
		case `"next_cursor"`:
			next = body[v0:v1]
		}
	})
	if err != nil {
		return Page{}, fmt.Errorf("%s listing: the answer is not a JSON page of items", a.sys.Label())
	}
	if items == nil || items[0] != '[' {
		return Page{}, fmt.Errorf("%s listing: the answer has no items array", a.sys.Label())
	}
	var p Page
	_ = eachElement(items, func(e []byte) { p.Items = append(p.Items, e) })
	if next != nil {
		cursor, err := jsonText(next)
		if err != nil || (next[0] != '"' && next[0] != 'n') {
			return Page{}, fmt.Errorf("%s listing: next_cursor %s is not a string", a.sys.Label(), next)
		}
		p.NextCursor = cursor
	}
	return p, nil
}
