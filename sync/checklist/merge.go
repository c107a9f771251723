package checklist

import "strconv"

// The three-way merge, field by field, against the baseline's values. Everything here works on side
// indexes (0 is the EDC, 1 the CTMS) and never on names, so swapping the systems swaps the decisions and
// nothing else; no update time is ever read.

type fieldKind uint8

const (
	fieldAbsent fieldKind = iota // neither system holds the field
	fieldAgree                   // both hold the same value, or only one system holds the field
	fieldWrite                   // the owner's value is written to the other side
	fieldClash                   // both sides changed the field to different values
)

// fieldMerge is the merge of one field: for fieldWrite, val goes to side to, overwriting old.
type fieldMerge struct {
	kind  fieldKind
	to    int
	val   string
	old   string
	cause Cause
}

// mergeField applies the rules of one field to the two sides' values and the baseline's (nil on the first
// sync):
//   - the same value on both sides: agreed, whatever the baseline says;
//   - no baseline: the owner's value wins (initial alignment);
//   - changed on one side only: the owner's value wins — the owner's change goes across, a change the
//     other side made alone is put back;
//   - changed on both sides to different values: a clash.
func (e *Engine) mergeField(f Field, v [2]*Item, base *Item) fieldMerge {
	switch h0, h1 := e.holds[0][f], e.holds[1][f]; {
	case !h0 && !h1:
		return fieldMerge{kind: fieldAbsent}
	case !h1:
		return fieldMerge{kind: fieldAgree, val: f.value(v[0])}
	case !h0:
		return fieldMerge{kind: fieldAgree, val: f.value(v[1])}
	}
	vals := [2]string{f.value(v[0]), f.value(v[1])}
	if vals[0] == vals[1] {
		return fieldMerge{kind: fieldAgree, val: vals[0]}
	}
	o := e.owner[f]
	m := fieldMerge{kind: fieldWrite, to: 1 - o, val: vals[o], old: vals[1-o]}
	if base == nil {
		m.cause = InitialAlignment
		return m
	}
	b := f.value(base)
	switch {
	case vals[0] != b && vals[1] != b:
		return fieldMerge{kind: fieldClash}
	case vals[o] != b:
		m.cause = OwnerChanged
	default:
		m.cause = OwnerRestored
	}
	return m
}

// mergeBoth decides an item both systems have. open: the item has an open conflict, so nothing is
// written for it unless the systems now agree on every field.
func (e *Engine) mergeBoth(d *Decision, recs [2]*Record, baseline *Baseline, open bool) {
	v := [2]*Item{&recs[0].Item, &recs[1].Item}
	base := baseline.item()
	var res [numFields]fieldMerge
	var clashes, writes int
	merged := Item{Site: d.Key.Site, Code: d.Key.Code}
	for f := range numFields {
		r := e.mergeField(f, v, base)
		res[f] = r
		switch r.kind {
		case fieldClash:
			clashes++
			continue
		case fieldWrite:
			writes++
		}
		f.set(&merged, r.val)
	}
	if clashes > 0 || (open && writes > 0) {
		c := e.conflict(d.Key, recs, baseline)
		for f := range numFields {
			if res[f].kind == fieldClash || (open && res[f].kind == fieldWrite) {
				c.Fields = append(c.Fields, conflictField(f, v, base))
			}
		}
		d.Outcome, d.Conflict = OutcomeConflict, c
		return
	}
	d.Initial = base == nil
	d.ClosesConflict = open
	e.emit(d, recs, &res, &merged, baseline, "")
}

// emit turns the fields' merge into the decision's writes, outcome and baseline. merged holds every
// field's merged value; it becomes the next revision of the baseline when it differs from base. occasion
// goes into the idempotency keys along with the baseline's revision (Resolve gives the conflict's ID).
func (e *Engine) emit(d *Decision, recs [2]*Record, res *[numFields]fieldMerge, merged *Item, base *Baseline, occasion string) {
	var rev uint64
	if base != nil {
		rev = base.Revision
	}
	basis := occasion + "b" + strconv.FormatUint(rev, 10)
	var writes [2]int
	for f := range numFields {
		if res[f].kind == fieldWrite {
			writes[res[f].to]++
		}
	}
	for s := range 2 {
		if writes[s] == 0 {
			continue
		}
		changes := make([]Change, 0, writes[s])
		for f := range numFields {
			if r := res[f]; r.kind == fieldWrite && r.to == s {
				changes = append(changes, Change{Field: f, Old: r.old, New: r.val, Cause: r.cause})
			}
		}
		w, err := e.makeWrite(s, d.Key, recs[s], recs[s].Item, recs[1-s], changes, basis)
		if err != nil {
			d.Writes, d.Baseline, d.ClosesConflict = nil, nil, false
			d.Outcome = OutcomeUnmapped
			d.Defects = append(d.Defects, Defect{System: systems[s], Reason: err.Error(), Raw: recs[s].Raw})
			return
		}
		d.Writes = append(d.Writes, w)
	}
	d.Outcome = writeOutcome(writes[0] > 0, writes[1] > 0)
	if base == nil || !sameValues(&base.Item, merged) {
		d.Baseline = &Baseline{Item: *merged, Revision: rev + 1}
	}
}

// mergeOne decides an item only one system has (present is its side). With no baseline it is a gap. With
// a baseline, the other system deleted it: a gap when the present side did not change it since, a
// conflict (delete versus edit) when it did.
func (e *Engine) mergeOne(d *Decision, recs [2]*Record, present int, baseline *Baseline, open bool) {
	gone := 1 - present
	base := baseline.item()
	if base == nil {
		d.Outcome, d.Missing = OutcomeGap, systems[gone]
		return
	}
	v := [2]*Item{}
	v[present] = &recs[present].Item
	var fields []FieldConflict
	for f := range numFields {
		if e.holds[present][f] && f.value(v[present]) != f.value(base) {
			fields = append(fields, conflictField(f, v, base))
		}
	}
	if len(fields) == 0 && open {
		// An open conflict stays open until a person settles it, even when the present side went back to
		// the baseline: the whole item is in question.
		for f := range numFields {
			if e.holds[present][f] {
				fields = append(fields, conflictField(f, v, base))
			}
		}
	}
	if len(fields) == 0 {
		d.Outcome, d.Missing = OutcomeGap, systems[gone]
		return
	}
	c := e.conflict(d.Key, recs, baseline)
	c.Fields, c.Deleted = fields, systems[gone]
	d.Outcome, d.Conflict = OutcomeConflict, c
}

// conflict holds both records (nil when deleted) and the baseline, for the quarantine.
func (e *Engine) conflict(k Key, recs [2]*Record, base *Baseline) *Conflict {
	c := &Conflict{Key: k}
	if base != nil {
		b := *base
		c.Baseline = &b
	}
	if recs[0] != nil {
		c.EDC, c.EDCRaw = &recs[0].Item, recs[0].Raw
	}
	if recs[1] != nil {
		c.CTMS, c.CTMSRaw = &recs[1].Item, recs[1].Raw
	}
	return c
}

func conflictField(f Field, v [2]*Item, base *Item) FieldConflict {
	fc := FieldConflict{Field: f}
	if v[0] != nil {
		fc.EDC = f.value(v[0])
	}
	if v[1] != nil {
		fc.CTMS = f.value(v[1])
	}
	if base != nil {
		fc.Baseline = f.value(base)
	}
	return fc
}

// makeWrite encodes the write of changes to side s: to its record rec, which holds from, or, when rec is
// nil, as a new record made from from (the PUT creates it). The values come from the other side's record
// src, in its spelling. basis joins the payload in the idempotency key.
func (e *Engine) makeWrite(s int, k Key, rec *Record, from Item, src *Record, changes []Change, basis string) (Write, error) {
	ad := e.ad[s]
	w := Write{System: systems[s], Key: k, Changes: changes, Creates: rec == nil}
	var raw []byte
	site, code := k.Site, k.Code
	if rec != nil {
		raw, site, code = rec.Raw, rec.SourceSite, rec.SourceCode
	}
	fields := make([]Field, len(changes))
	for i, c := range changes {
		c.Field.set(&from, src.spelt(c.Field, c.New))
		fields[i] = c.Field
	}
	body, err := ad.Encode(raw, &from, fields)
	if err != nil {
		return Write{}, err
	}
	w.Path = ad.ItemPath(site, code)
	w.Body = body
	w.IdempotencyKey = idempotencyKey(w.System, w.Path, body, basis)
	return w, nil
}

func writeOutcome(edc, ctms bool) Outcome {
	switch {
	case edc && ctms:
		return OutcomeWriteBoth
	case edc:
		return OutcomeWriteEDC
	case ctms:
		return OutcomeWriteCTMS
	}
	return OutcomeInSync
}

// sameValues reports whether two items agree on every merged field.
func sameValues(a, b *Item) bool {
	for f := range numFields {
		if f.value(a) != f.value(b) {
			return false
		}
	}
	return true
}
