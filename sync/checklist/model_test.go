package checklist

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"pgregory.net/rapid"
)

// The property tests replay random edit histories on both systems against a model of each system (a
// store of raw records with an IETF idempotency-key store) and of the caller (baselines stored only after
// every write of an item is acknowledged, open conflicts, adjudications). Run in CI with -rapid.nofailfile.

var propKeys = []Key{{"101", "FDA-1572"}, {"102", "FDA-1572"}}

// genOwners draws an ownership; the sign-off, which only the CTMS holds, stays with the CTMS.
func genOwners(t *rapid.T) Owners {
	o := DefaultOwners()
	for _, f := range []Field{FieldVersion, FieldStatus, FieldEvidenceDocID, FieldPlannedActivationDate} {
		o = o.With(f, rapid.SampledFrom([]System{EDC, CTMS}).Draw(t, "owner of "+f.String()))
	}
	return o
}

// genRawValue draws a JSON value for field f as system s could spell it: different spellings of the same
// canonical values, so that normalisation is exercised too.
func genRawValue(t *rapid.T, e *Engine, s System, f Field, label string) json.RawMessage {
	var choices []string
	switch f {
	case FieldVersion:
		choices = []string{`"V1"`, `" v1"`, `"V2"`, `"v2 "`}
	case FieldStatus:
		for _, st := range statuses {
			w := e.Adapter(s).m.Statuses[st]
			choices = append(choices, `"`+w+`"`, `"`+strings.ToLower(w)+`"`, `" `+strings.ToUpper(w)+`"`)
		}
	case FieldEvidenceDocID:
		choices = []string{`"DOC-1"`, `" doc-1"`, `"DOC-2"`, `""`, `null`}
	case FieldMilestoneSignedOff:
		choices = []string{`true`, `false`, `null`, `"yes"`}
	case FieldPlannedActivationDate:
		choices = []string{`"2025-04-01"`, `"2025-04-01T00:00:00Z"`, `"2025-05-01"`, `null`, `""`}
	}
	return json.RawMessage(rapid.SampledFrom(choices).Draw(t, label))
}

// genTime draws an update time in a random zone: the systems' clocks disagree and even go backwards.
func genTime(t *rapid.T, label string) json.RawMessage {
	sec := rapid.Int64Range(946684800, 2208988800).Draw(t, label) // 2000 .. 2040
	zone := time.FixedZone("", 3600*rapid.IntRange(-11, 12).Draw(t, label+" zone"))
	b, _ := json.Marshal(time.Unix(sec, 0).In(zone).Format(time.RFC3339))
	return b
}

// world is the model: each system's records, and the caller's baselines and open conflicts.
type world struct {
	e         *Engine
	sys       [2]map[Key]json.RawMessage
	idem      [2]map[string]string // Idempotency-Key -> body, as the systems remember them
	base      map[Key]Baseline
	open      map[Key]*Conflict
	conflicts int          // conflicts opened so far: the next one's ID
	dirty     map[Key]bool // edited since the last plan
}

func newWorld(t *rapid.T) *world {
	e, err := New(DefaultEDC(), DefaultCTMS(), genOwners(t))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{e: e, base: map[Key]Baseline{}, open: map[Key]*Conflict{}, dirty: map[Key]bool{}}
	for s := range 2 {
		w.sys[s] = map[Key]json.RawMessage{}
		w.idem[s] = map[string]string{}
	}
	return w
}

// edit changes one field of an item in one system (creating the item when the system has none), the way
// a person would in that system's own screens.
func (w *world) edit(t *rapid.T, s int) {
	k := rapid.SampledFrom(propKeys).Draw(t, "key")
	ad := w.e.ad[s]
	n := &ad.m.Fields
	obj := map[string]json.RawMessage{}
	if raw, ok := w.sys[s][k]; ok {
		if err := json.Unmarshal(raw, &obj); err != nil {
			t.Fatal(err)
		}
		var held []Field
		for f := range numFields {
			if ad.Holds(f) {
				held = append(held, f)
			}
		}
		f := rapid.SampledFrom(held).Draw(t, "field")
		obj[n.of(f)] = genRawValue(t, w.e, systems[s], f, "value")
	} else {
		obj[n.Site], obj[n.Code] = quote(k.Site), quote(strings.ToLower(k.Code))
		for f := range numFields {
			if ad.Holds(f) {
				obj[n.of(f)] = genRawValue(t, w.e, systems[s], f, f.String())
			}
		}
		obj["x-note"] = quote("kept by " + systems[s].Label())
	}
	obj[n.SourceUpdated] = genTime(t, "updated")
	obj[n.Operator] = quote("person")
	w.sys[s][k], _ = json.Marshal(obj)
	w.dirty[k] = true
}

// editBoth edits the same field of one item in both systems, each with its own drawn value: the
// concurrent edits that make conflicts (or agree by chance).
func (w *world) editBoth(t *rapid.T) {
	k := rapid.SampledFrom(propKeys).Draw(t, "key")
	f := rapid.SampledFrom([]Field{FieldVersion, FieldStatus, FieldEvidenceDocID, FieldPlannedActivationDate}).Draw(t, "field")
	for s := range 2 {
		raw, ok := w.sys[s][k]
		if !ok {
			continue
		}
		obj := map[string]json.RawMessage{}
		if err := json.Unmarshal(raw, &obj); err != nil {
			t.Fatal(err)
		}
		n := &w.e.ad[s].m.Fields
		obj[n.of(f)] = genRawValue(t, w.e, systems[s], f, systems[s].Label()+" value")
		obj[n.SourceUpdated] = genTime(t, "updated")
		w.sys[s][k], _ = json.Marshal(obj)
	}
	w.dirty[k] = true
}

func (w *world) remove(t *rapid.T, s int) {
	k := rapid.SampledFrom(propKeys).Draw(t, "key")
	delete(w.sys[s], k)
	w.dirty[k] = true
}

// current is every item as each system holds it now, canonical.
func (w *world) current(t *rapid.T) [2]map[Key]Item {
	var cur [2]map[Key]Item
	for s := range 2 {
		cur[s] = map[Key]Item{}
		for k, raw := range w.sys[s] {
			r := w.e.ad[s].Decode(raw)
			if !r.Mapped() || r.Key() != k {
				t.Fatalf("%s record %s does not read back: %s %s", systems[s].Label(), k, r.Defect, raw)
			}
			cur[s][k] = r.Item
		}
	}
	return cur
}

func (w *world) plan() (Plan, Input) {
	in := Input{Baselines: maps.Clone(w.base), Open: map[Key]bool{}}
	for k := range w.open {
		in.Open[k] = true
	}
	for s := range 2 {
		var recs []Record
		for _, raw := range w.sys[s] { // map order: the listing comes in any order
			recs = append(recs, w.e.ad[s].Decode(raw))
		}
		if s == 0 {
			in.EDC = recs
		} else {
			in.CTMS = recs
		}
	}
	return w.e.Plan(in), in
}

type fate int

const (
	acked   fate = iota // applied, 2xx received
	dropped             // applied, the answer lost
	failed              // not applied
)

// put is the system's side of a PUT: a replayed key returns the first result without applying again; a
// key reused with another body would be a 422, which trialsync must never cause.
func (w *world) put(t *rapid.T, wr *Write, f fate) {
	s := wr.System.side()
	if f == failed {
		return
	}
	if prev, ok := w.idem[s][wr.IdempotencyKey]; ok {
		if prev != string(wr.Body) {
			t.Fatalf("key %s reused for another body (422):\n%s\n%s", wr.IdempotencyKey, prev, wr.Body)
		}
		return
	}
	w.idem[s][wr.IdempotencyKey] = string(wr.Body)
	if _, ok := w.sys[s][wr.Key]; !ok && !wr.Creates {
		t.Fatalf("PUT to %s %s, which has no such item, without Creates", wr.System, wr.Key)
	}
	obj := map[string]json.RawMessage{}
	if err := json.Unmarshal(wr.Body, &obj); err != nil {
		t.Fatal(err)
	}
	n := &w.e.ad[s].m.Fields
	obj[n.SourceUpdated] = genTime(t, "put time")
	obj[n.Operator] = quote("trialsync")
	w.sys[s][wr.Key], _ = json.Marshal(obj)
}

// storeBaseline stores b for k, checking that it is never ahead of what both systems hold.
func (w *world) storeBaseline(t *rapid.T, k Key, b *Baseline) {
	cur := w.current(t)
	for f := range numFields {
		for s := range 2 {
			if it, ok := cur[s][k]; ok && w.e.holds[s][f] && f.value(&it) != f.value(&b.Item) {
				t.Fatalf("baseline of %s stored with %s=%q while the %s holds %q", k, f, f.value(&b.Item), systems[s].Label(), f.value(&it))
			}
		}
	}
	if old, ok := w.base[k]; ok && b.Revision != old.Revision+1 || !ok && b.Revision != 1 {
		t.Fatalf("baseline of %s goes from revision %d to %d", k, old.Revision, b.Revision)
	}
	w.base[k] = *b
}

// reconcile plans, checks the plan against the rules, sends every write with a drawn fate and stores what
// the caller may store.
func (w *world) reconcile(t *rapid.T) {
	before := w.current(t)
	p, in := w.plan()
	again, _ := w.plan()
	if !reflect.DeepEqual(writesOf(p), writesOf(again)) {
		t.Fatal("the same state planned twice gives different writes or keys")
	}
	w.checkPlan(t, p, in, before)
	clean := rapid.Bool().Draw(t, "every write acknowledged")
	for i := range p.Decisions {
		d := &p.Decisions[i]
		all := true
		for j := range d.Writes {
			f := acked
			if !clean {
				f = rapid.SampledFrom([]fate{acked, dropped, failed}).Draw(t, "fate")
			}
			w.put(t, &d.Writes[j], f)
			all = all && f == acked
		}
		switch {
		case d.Outcome == OutcomeConflict:
			// A conflict keeps its ID while it stays open; Plan's fresh copy replaces the stored one.
			if prev, ok := w.open[d.Key]; ok {
				d.Conflict.ID = prev.ID
			} else {
				w.conflicts++
				d.Conflict.ID = fmt.Sprint(w.conflicts)
			}
			w.open[d.Key] = d.Conflict
		case d.ClosesConflict:
			delete(w.open, d.Key)
		}
		if d.DropBaseline {
			delete(w.base, d.Key)
		}
		if all && d.Baseline != nil {
			w.storeBaseline(t, d.Key, d.Baseline)
		}
	}
	// The owner's value of every field is what it was: reconciliation never overwrites an owner's edit.
	after := w.current(t)
	for _, k := range propKeys {
		for f := range numFields {
			o := w.e.owners.Of(f).side()
			b, okb := before[o][k]
			a, oka := after[o][k]
			if okb != oka || (okb && f.value(&b) != f.value(&a)) {
				t.Fatalf("the owner's (%s) %s of %s went from %q to %q", systems[o].Label(), f, k, f.value(&b), f.value(&a))
			}
		}
	}
	w.dirty = map[Key]bool{}
	if clean {
		// With every write applied and acknowledged, a second run has nothing left to do.
		second, _ := w.plan()
		first := map[Key]Outcome{}
		for _, d := range p.Decisions {
			if !(d.DropBaseline && d.EDC == nil && d.CTMS == nil) { // deleted on both sides: gone for good
				first[d.Key] = d.Outcome
			}
		}
		if len(second.Decisions) != len(first) {
			t.Fatalf("second run decides %d items, the first %d", len(second.Decisions), len(first))
		}
		for _, d := range second.Decisions {
			if len(d.Writes) > 0 || d.Baseline != nil || d.ClosesConflict || d.DropBaseline {
				t.Fatalf("second run: %s %s writes %d, baseline %v, closes %v, drops %v", d.Key, d.Outcome, len(d.Writes), d.Baseline, d.ClosesConflict, d.DropBaseline)
			}
			want, ok := first[d.Key]
			if want == OutcomeWriteBoth || want == OutcomeWriteEDC || want == OutcomeWriteCTMS {
				want = OutcomeInSync
			}
			if !ok || d.Outcome != want {
				t.Fatalf("second run: %s %s, first run %s", d.Key, d.Outcome, first[d.Key])
			}
		}
	}
}

// checkPlan holds a plan to the rules, given each system's items as they were when it was made.
func (w *world) checkPlan(t *rapid.T, p Plan, in Input, cur [2]map[Key]Item) {
	seen := map[Key]bool{}
	for i := range p.Decisions {
		d := &p.Decisions[i]
		if seen[d.Key] {
			t.Fatalf("%s decided twice", d.Key)
		}
		seen[d.Key] = true
		if (in.Open[d.Key] || d.Outcome == OutcomeConflict || d.Outcome == OutcomeGap || d.Outcome == OutcomeUnmapped) && len(d.Writes) > 0 {
			t.Fatalf("%s (%s, open conflict %v) has writes", d.Key, d.Outcome, in.Open[d.Key])
		}
		for _, wr := range d.Writes {
			for _, ch := range wr.Changes {
				o := w.e.owners.Of(ch.Field)
				if wr.System == o {
					t.Fatalf("%s: %s written to its owner, the %s", d.Key, ch.Field, o.Label())
				}
				owner, target := cur[o.side()][d.Key], cur[wr.System.side()][d.Key]
				if ch.New != ch.Field.value(&owner) || ch.Old != ch.Field.value(&target) {
					t.Fatalf("%s %s: writes %q over %q; the owner holds %q, the target %q",
						d.Key, ch.Field, ch.New, ch.Old, ch.Field.value(&owner), ch.Field.value(&target))
				}
				// Only an edit nobody else made concurrently is overwritten: a write either carries the
				// owner's change over an unchanged value, or puts back an owner's value that did not change.
				if b, ok := in.Baselines[d.Key]; ok {
					bv := ch.Field.value(&b.Item)
					if (ch.Cause == OwnerChanged && ch.Old != bv) || (ch.Cause == OwnerRestored && ch.New != bv) ||
						(ch.Cause != OwnerChanged && ch.Cause != OwnerRestored) {
						t.Fatalf("%s %s: %s writes %q over %q with the baseline at %q", d.Key, ch.Field, ch.Cause, ch.New, ch.Old, bv)
					}
				} else if ch.Cause != InitialAlignment {
					t.Fatalf("%s %s: %s without a baseline", d.Key, ch.Field, ch.Cause)
				}
			}
		}
		// A field both systems changed to different values is always in conflict.
		b, hasBase := in.Baselines[d.Key]
		ei, inEDC := cur[0][d.Key]
		ci, inCTMS := cur[1][d.Key]
		if hasBase && inEDC && inCTMS {
			for f := range numFields {
				ev, cv, bv := f.value(&ei), f.value(&ci), f.value(&b.Item)
				if w.e.holds[0][f] && w.e.holds[1][f] && ev != bv && cv != bv && ev != cv &&
					(d.Conflict == nil || !slices.ContainsFunc(d.Conflict.Fields, func(fc FieldConflict) bool { return fc.Field == f })) {
					t.Fatalf("%s: both systems changed %s (%q, %q, baseline %q), yet it is %s", d.Key, f, ev, cv, bv, d.Outcome)
				}
			}
		}
		if c := d.Conflict; c != nil {
			for _, fc := range c.Fields {
				e, ok0 := cur[0][d.Key]
				m, ok1 := cur[1][d.Key]
				if (ok0 && fc.EDC != fc.Field.value(&e)) || (ok1 && fc.CTMS != fc.Field.value(&m)) {
					t.Fatalf("%s: the conflict does not keep both sides' %s", d.Key, fc.Field)
				}
			}
		}
	}
	for s := range 2 {
		for k := range cur[s] {
			if !seen[k] {
				t.Fatalf("%s of the %s was dropped from the plan", k, systems[s].Label())
			}
		}
	}
	c := p.Counts
	if c.Items != len(p.Decisions) || c.InSync+c.WriteCTMS+c.WriteEDC+c.WriteBoth+c.Conflict+c.Gap+c.Unmapped != c.Items {
		t.Fatalf("counts %+v for %d decisions", c, len(p.Decisions))
	}
}

// adjudicate settles one open conflict that nobody edited since it was planned, with a drawn choice per
// field, and sends the writes (the outbox delivers them; the answer may be lost).
func (w *world) adjudicate(t *rapid.T) {
	var keys []Key
	for _, k := range slices.SortedFunc(maps.Keys(w.open), Key.Compare) {
		if !w.dirty[k] {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		t.Skip("no conflict to settle")
	}
	k := rapid.SampledFrom(keys).Draw(t, "conflict")
	c := w.open[k]
	take := map[Field]System{}
	one := rapid.SampledFrom([]System{EDC, CTMS}).Draw(t, "take")
	for _, fc := range c.Fields {
		take[fc.Field] = one
		if c.Deleted == "" {
			take[fc.Field] = rapid.SampledFrom([]System{EDC, CTMS}).Draw(t, "take "+fc.Field.String())
		}
	}
	d, err := w.e.Resolve(c, take, "confirmed with the site")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Writes) > 0 && d.Outcome == OutcomeConflict {
		t.Fatal("an adjudication that is still a conflict writes")
	}
	all := true
	for j := range d.Writes {
		f := rapid.SampledFrom([]fate{acked, dropped}).Draw(t, "fate")
		w.put(t, &d.Writes[j], f)
		all = all && f == acked
	}
	delete(w.open, k)
	if d.DropBaseline {
		delete(w.base, k)
	}
	if all && d.Baseline != nil {
		w.storeBaseline(t, k, d.Baseline)
	}
	// The chosen values, as the chosen system held them, are what both systems hold now.
	cur := w.current(t)
	for f, s := range take {
		if c.Deleted == s {
			if d.Outcome != OutcomeGap || !d.DropBaseline {
				t.Fatalf("taking the deletion of %s: %s, drops baseline %v", k, d.Outcome, d.DropBaseline)
			}
			continue
		}
		chosen := c.EDC
		if s == CTMS {
			chosen = c.CTMS
		}
		v := f.value(chosen)
		for o := range 2 {
			if it, ok := cur[o][k]; !ok || (w.e.holds[o][f] && f.value(&it) != v) {
				t.Fatalf("after taking the %s's %s of %s (%q), the %s holds %q", s.Label(), f, k, v, systems[o].Label(), f.value(&it))
			}
		}
	}
}

func writesOf(p Plan) []Write {
	var ws []Write
	for _, d := range p.Decisions {
		ws = append(ws, d.Writes...)
	}
	return ws
}
