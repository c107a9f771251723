package checklist

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Decode reads one raw record (a JSON object). It never fails: a record that cannot be read comes back
// unmapped, with every problem in Defect, and nothing in it is defaulted. The Record keeps raw as its Raw;
// the caller must not modify raw afterwards.
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
