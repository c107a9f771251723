package checklist

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestReconcileProperties runs random histories: edits and deletions on both systems, reconciliations
// whose writes are acknowledged, lost or failed, and adjudications.
func TestReconcileProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := newWorld(t)
		// Edits that can make conflicts, reconciliations and adjudications are listed twice: drawn twice
		// as often, the histories reach conflicts and their settling within the default 30 steps.
		t.Repeat(map[string]func(*rapid.T){
			"edit EDC":         func(t *rapid.T) { w.edit(t, 0) },
			"edit CTMS":        func(t *rapid.T) { w.edit(t, 1) },
			"edit both":        w.editBoth,
			"edit both again":  w.editBoth,
			"delete EDC":       func(t *rapid.T) { w.remove(t, 0) },
			"delete CTMS":      func(t *rapid.T) { w.remove(t, 1) },
			"reconcile":        w.reconcile,
			"reconcile again":  w.reconcile,
			"adjudicate":       w.adjudicate,
			"adjudicate again": w.adjudicate,
		})
	})
}

// TestSymmetry: swapping which system is called "left" — the EDC's mapping in the CTMS's place and the
// other way round, with the owners swapped — gives the same decisions with the names swapped.
func TestSymmetry(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		owners := genOwners(t)
		e, err := New(DefaultEDC(), DefaultCTMS(), owners)
		if err != nil {
			t.Fatal(err)
		}
		var swapped Owners
		for f := range numFields {
			swapped = swapped.With(f, systems[1-owners.Of(f).side()])
		}
		mirror, err := New(DefaultCTMS(), DefaultEDC(), swapped)
		if err != nil {
			t.Fatal(err)
		}
		k := propKeys[0]
		gen := func(s System, label string) Item {
			it := Item{Site: k.Site, Code: k.Code}
			for f := range numFields {
				if e.Adapter(s).Holds(f) {
					r := e.Adapter(s).Decode(json.RawMessage(fmt.Sprintf(`{"siteId":"1","code":"c","site":"1","taskCode":"c","updatedAt":"2025-01-01T00:00:00Z","modifiedUtc":"2025-01-01T00:00:00Z","status":"DRAFT","state":"Pending",%q:%s}`,
						e.Adapter(s).m.Fields.of(f), genRawValue(t, e, s, f, label+" "+f.String()))))
					f.set(&it, f.value(&r.Item))
				}
			}
			it.SourceUpdated = time.Unix(rapid.Int64Range(0, 2e9).Draw(t, label+" time"), 0).UTC()
			return it
		}
		edcIt, ctmsIt := gen(EDC, "edc"), gen(CTMS, "ctms")
		var base *Baseline
		if rapid.Bool().Draw(t, "has baseline") {
			b := gen(CTMS, "baseline")
			b.SourceUpdated = time.Time{}
			base = &Baseline{Item: b, Revision: rapid.Uint64().Draw(t, "revision")}
		}
		present := rapid.SampledFrom([]string{"both", "edc", "ctms"}).Draw(t, "present")
		open := rapid.Bool().Draw(t, "open")

		in, min := Input{Open: map[Key]bool{k: open}}, Input{Open: map[Key]bool{k: open}}
		if base != nil {
			in.Baselines, min.Baselines = map[Key]Baseline{k: *base}, map[Key]Baseline{k: *base}
		}
		if present != "ctms" {
			in.EDC = []Record{record(t, e, EDC, edcIt)}
			min.CTMS = []Record{mirror.Adapter(CTMS).Decode(raw(t, e, EDC, edcIt))}
		}
		if present != "edc" {
			in.CTMS = []Record{record(t, e, CTMS, ctmsIt)}
			min.EDC = []Record{mirror.Adapter(EDC).Decode(raw(t, e, CTMS, ctmsIt))}
		}
		d, md := e.Plan(in).Decisions[0], mirror.Plan(min).Decisions[0]
		if got, want := relabel(md), comparable(d); !reflect.DeepEqual(got, want) {
			t.Fatalf("swapped sides decide differently:\n%+v\n%+v", got, want)
		}
	})
}

// view is what a decision says, without the pointers into its input.
type view struct {
	Outcome        Outcome
	Initial        bool
	Missing        System
	Baseline       *Baseline
	ClosesConflict bool
	Writes         []Write
	Fields         []FieldConflict
	Deleted        System
}

func comparable(d Decision) view {
	v := view{Outcome: d.Outcome, Initial: d.Initial, Missing: d.Missing, Baseline: d.Baseline, ClosesConflict: d.ClosesConflict}
	for _, w := range d.Writes {
		w.IdempotencyKey = "" // the key hashes the system's name, which the swap changes
		v.Writes = append(v.Writes, w)
	}
	if d.Conflict != nil {
		v.Fields, v.Deleted = d.Conflict.Fields, d.Conflict.Deleted
	}
	return v
}

// relabel is the mirror engine's decision with EDC and CTMS swapped back.
func relabel(d Decision) view {
	sw := func(s System) System {
		switch s {
		case EDC:
			return CTMS
		case CTMS:
			return EDC
		}
		return s
	}
	v := comparable(d)
	switch v.Outcome {
	case OutcomeWriteEDC:
		v.Outcome = OutcomeWriteCTMS
	case OutcomeWriteCTMS:
		v.Outcome = OutcomeWriteEDC
	}
	v.Missing, v.Deleted = sw(v.Missing), sw(v.Deleted)
	slices.Reverse(v.Writes)
	for i := range v.Writes {
		v.Writes[i].System = sw(v.Writes[i].System)
	}
	var fields []FieldConflict
	for _, fc := range v.Fields {
		fc.EDC, fc.CTMS = fc.CTMS, fc.EDC
		fields = append(fields, fc)
	}
	v.Fields = fields
	return v
}
