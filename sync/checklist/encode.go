package checklist

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

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
