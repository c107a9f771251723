package checklist

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// ErrNoReason is returned by Resolve without a reason: every adjudication is audited with one.
var ErrNoReason = errors.New("a reason is required to settle a conflict")

// TakeAll is the choice of one system's value for every field of c (`conflicts resolve ID --take S`).
func TakeAll(c *Conflict, s System) map[Field]System {
	take := make(map[Field]System, len(c.Fields))
	for _, fc := range c.Fields {
		take[fc.Field] = s
	}
	return take
}

// Resolve settles conflict c with a person's choice of system per conflicting field, and returns the
// writes that carry the chosen values across and the baseline to store once they are acknowledged. The
// fields not in conflict merge by the usual rules. take must name every field of c.Fields and no other;
// reason is required. c should be the latest copy Plan made of the conflict: the writes start from its
// raw records.
//
// For a delete-versus-edit conflict the choice is about the whole item: taking the system that still has
// it writes the item back to the other (the PUT creates it); taking the system that deleted it drops the
// baseline, and the item is a gap from then on.
func (e *Engine) Resolve(c *Conflict, take map[Field]System, reason string) (Decision, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Decision{}, fmt.Errorf("conflict %s: %w", c.Key, ErrNoReason)
	}
	if c.ID == "" {
		return Decision{}, fmt.Errorf("conflict %s has no ID: store it before settling it", c.Key)
	}
	if err := checkChoices(c, take); err != nil {
		return Decision{}, fmt.Errorf("conflict %s: %w", c.Key, err)
	}
	var recs [2]*Record
	for s, raw := range [2][]byte{c.EDCRaw, c.CTMSRaw} {
		if raw == nil {
			continue
		}
		r := e.ad[s].Decode(raw)
		switch {
		case !r.Mapped():
			return Decision{}, fmt.Errorf("conflict %s: the %s record can no longer be read: %s", c.Key, systems[s].Label(), r.Defect)
		case r.Key() != c.Key:
			return Decision{}, fmt.Errorf("conflict %s: the %s record is of item %s", c.Key, systems[s].Label(), r.Key())
		}
		recs[s] = &r
	}
	d := Decision{Key: c.Key, ClosesConflict: true, Reason: reason, EDC: recs[0], CTMS: recs[1]}
	if recs[0] == nil || recs[1] == nil {
		return e.resolveDeletion(d, c, recs, take)
	}
	v := [2]*Item{&recs[0].Item, &recs[1].Item}
	var res [numFields]fieldMerge
	merged := Item{Site: c.Key.Site, Code: c.Key.Code}
	for f := range numFields {
		r := e.mergeField(f, v, c.Baseline.item())
		if s, ok := take[f]; ok {
			chosen := s.side()
			r = fieldMerge{kind: fieldAgree, val: f.value(v[chosen])}
			if old := f.value(v[1-chosen]); old != r.val {
				r = fieldMerge{kind: fieldWrite, to: 1 - chosen, val: r.val, old: old, cause: Adjudicated}
			}
		}
		if r.kind == fieldClash {
			return Decision{}, fmt.Errorf("conflict %s: %s is in conflict too; choose a system for it", c.Key, f)
		}
		res[f] = r
		f.set(&merged, r.val)
	}
	e.emit(&d, recs, &res, &merged, c.Baseline, "c"+c.ID+"/")
	if d.Outcome == OutcomeUnmapped {
		return Decision{}, fmt.Errorf("conflict %s: %s", c.Key, d.Defects[0].Reason)
	}
	return d, nil
}

// checkChoices makes sure take names a system for every conflicting field and for nothing else.
func checkChoices(c *Conflict, take map[Field]System) error {
	inConflict := map[Field]bool{}
	for _, fc := range c.Fields {
		inConflict[fc.Field] = true
		s, ok := take[fc.Field]
		switch {
		case !ok:
			return fmt.Errorf("no choice for %s: take %q or %q", fc.Field, EDC, CTMS)
		case s != EDC && s != CTMS:
			return fmt.Errorf("%s: take %q or %q, not %q", fc.Field, EDC, CTMS, s)
		}
	}
	for _, f := range slices.Sorted(maps.Keys(take)) {
		if !inConflict[f] {
			return fmt.Errorf("%s is not in conflict", f)
		}
	}
	return nil
}

// resolveDeletion settles a delete-versus-edit conflict: one system for the whole item.
func (e *Engine) resolveDeletion(d Decision, c *Conflict, recs [2]*Record, take map[Field]System) (Decision, error) {
	present := 0
	if recs[0] == nil {
		present = 1
	}
	gone := 1 - present
	var chosen System
	for _, fc := range c.Fields {
		if chosen != "" && take[fc.Field] != chosen {
			return Decision{}, fmt.Errorf("conflict %s: the %s deleted the item; take one system for every field", c.Key, systems[gone].Label())
		}
		chosen = take[fc.Field]
	}
	if chosen == systems[gone] {
		d.Outcome, d.Missing, d.DropBaseline = OutcomeGap, systems[gone], true
		return d, nil
	}
	// The item goes back to the system that deleted it: every field it holds, from the present record,
	// and from the baseline for a field only the deleting system holds.
	from := Item{Site: c.Key.Site, Code: c.Key.Code}
	var changes []Change
	for f := range numFields {
		switch {
		case e.holds[present][f]:
			f.set(&from, f.value(&recs[present].Item))
		case c.Baseline != nil:
			f.set(&from, f.value(&c.Baseline.Item))
		}
		if e.holds[gone][f] {
			changes = append(changes, Change{Field: f, New: f.value(&from), Cause: Adjudicated})
		}
	}
	var rev uint64
	if c.Baseline != nil {
		rev = c.Baseline.Revision
	}
	w, err := e.makeWrite(gone, c.Key, nil, from, recs[present], changes, "c"+c.ID+"/b"+strconv.FormatUint(rev, 10))
	if err != nil {
		return Decision{}, fmt.Errorf("conflict %s: %w", c.Key, err)
	}
	d.Writes = []Write{w}
	d.Outcome = writeOutcome(gone == 0, gone == 1)
	d.Baseline = &Baseline{Item: from, Revision: rev + 1}
	return d, nil
}
