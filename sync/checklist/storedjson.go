package checklist

import (
	"encoding/json"
	"strconv"
)

// A run reads every item state of the study from the store (100,000 for a large checklist), and nearly
// all of them hold only an agreed baseline. encoding/json reads one in a few microseconds, mostly in
// reflection; the package's scanner reads that common shape directly. Anything else — a pending
// decision, a finding, a member or a value the fast path does not expect — goes through encoding/json,
// which stays the reference (TestItemStateDecode compares the two).

// UnmarshalJSON reads an item state as json.Marshal writes it.
func (s *ItemState) UnmarshalJSON(b []byte) error {
	var agreed []byte
	only := true
	err := eachMember(b, func(key []byte, v0, v1 int) {
		if string(key) == `"agreed"` {
			agreed = b[v0:v1]
		} else {
			only = false
		}
	})
	if err == nil && only && agreed != nil {
		var bl Baseline
		if bl.readFast(agreed) {
			*s = ItemState{Agreed: &bl}
			return nil
		}
	}
	type plain ItemState // without this method
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*s = ItemState(p)
	return nil
}

// readFast reads a baseline as json.Marshal writes it, and reports false, having read nothing that
// counts, for anything it does not expect.
func (bl *Baseline) readFast(b []byte) bool {
	ok := true
	text := func(v []byte) string {
		if len(v) == 0 || v[0] != '"' {
			ok = false
			return ""
		}
		s, err := jsonText(v)
		ok = ok && err == nil
		return s
	}
	err := eachMember(b, func(key []byte, v0, v1 int) {
		v := b[v0:v1]
		switch string(key) {
		case `"site"`:
			bl.Site = text(v)
		case `"code"`:
			bl.Code = text(v)
		case `"version"`:
			bl.Version = text(v)
		case `"status"`:
			st := Status(text(v))
			ok = ok && (st == "" || isStatus(st))
			for _, c := range statuses { // the constants, not a copy per baseline
				if c == st {
					st = c
				}
			}
			bl.Status = st
		case `"evidence_doc_id"`:
			bl.EvidenceDocID = text(v)
		case `"milestone_signed_off"`:
			ok = ok && bl.MilestoneSignedOff.UnmarshalJSON(v) == nil
		case `"planned_activation_date"`:
			ok = ok && bl.PlannedActivationDate.UnmarshalJSON(v) == nil
		case `"operator"`:
			bl.Operator = text(v)
		case `"revision"`:
			n, err := strconv.ParseUint(string(v), 10, 64)
			ok = ok && err == nil
			bl.Revision = n
		default: // source_updated (never set in a baseline) or anything new: the slow path
			ok = false
		}
	})
	return err == nil && ok
}
