package checklist

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// raw makes the record system s would send for it: every field the system holds, its update time, and
// one field trialsync does not know.
func raw(t tb, e *Engine, s System, it Item) json.RawMessage {
	t.Helper()
	ad := e.Adapter(s)
	body, err := ad.Encode(nil, &it, nil)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil {
		t.Fatal(err)
	}
	obj[ad.m.Fields.SourceUpdated] = it.SourceUpdated.Format(time.RFC3339)
	if ad.m.Fields.Operator != "" {
		obj[ad.m.Fields.Operator] = it.Operator
	}
	obj["x-"+string(s)+"-only"] = "kept"
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// record decodes raw(it) as system s, failing the test on a defect.
func record(t tb, e *Engine, s System, it Item) Record {
	t.Helper()
	r := e.Adapter(s).Decode(raw(t, e, s, it))
	if !r.Mapped() {
		t.Fatalf("%s record: %s", s, r.Defect)
	}
	return r
}

// agreed is the last agreed record of the merge table.
var agreed = Item{Site: "101", Code: "FDA-1572", Version: "V1", Status: InReview, EvidenceDocID: "DOC-1",
	MilestoneSignedOff: FlagNo, PlannedActivationDate: "2025-04-01"}

type wantWrite struct {
	to      System
	changes []Change
}

// TestMergeRules is the table of the merge rules with the default owners (EDC: version, status, evidence
// document; CTMS: sign-off, planned activation date; the EDC has no sign-off field). Each case gives each
// side's edits since the baseline and the exact writes, old and new values, conflict and baseline.
func TestMergeRules(t *testing.T) {
	e := defaultEngine(t)
	type edit func(*Item)
	cases := []struct {
		name       string
		edc, ctms  edit // nil: no edit; see gone
		edcGone    bool // the system has no record of the item
		ctmsGone   bool
		noBaseline bool
		open       bool
		// skew runs this system's clock decades ahead of the other's; it must not matter.
		skew System

		outcome  Outcome
		writes   []wantWrite
		conflict []FieldConflict
		deleted  System
		missing  System
		baseline edit // the new baseline as an edit of agreed; nil: the stored one stands
		initial  bool
		closes   bool
	}{
		{name: "same on both sides, unchanged", outcome: OutcomeInSync},
		{name: "both changed to the same value",
			edc: func(it *Item) { it.Status = Complete }, ctms: func(it *Item) { it.Status = Complete },
			outcome: OutcomeInSync, baseline: func(it *Item) { it.Status = Complete }},
		{name: "owner (EDC) changed the status alone, with a clock decades behind", skew: CTMS,
			edc:      func(it *Item) { it.Status = Complete },
			outcome:  OutcomeWriteCTMS,
			writes:   []wantWrite{{CTMS, []Change{{FieldStatus, "in_review", "complete", OwnerChanged}}}},
			baseline: func(it *Item) { it.Status = Complete }},
		{name: "owner (CTMS) changed the date alone",
			ctms:     func(it *Item) { it.PlannedActivationDate = "2025-05-01" },
			outcome:  OutcomeWriteEDC,
			writes:   []wantWrite{{EDC, []Change{{FieldPlannedActivationDate, "2025-04-01", "2025-05-01", OwnerChanged}}}},
			baseline: func(it *Item) { it.PlannedActivationDate = "2025-05-01" }},
		{name: "owner cleared a field alone",
			edc:      func(it *Item) { it.EvidenceDocID = "" },
			outcome:  OutcomeWriteCTMS,
			writes:   []wantWrite{{CTMS, []Change{{FieldEvidenceDocID, "DOC-1", "", OwnerChanged}}}},
			baseline: func(it *Item) { it.EvidenceDocID = "" }},
		{name: "non-owner (CTMS) changed the status alone: the owner's value goes back, the overwritten one is kept",
			ctms: func(it *Item) { it.Status = Rejected }, skew: CTMS,
			outcome: OutcomeWriteCTMS,
			writes:  []wantWrite{{CTMS, []Change{{FieldStatus, "rejected", "in_review", OwnerRestored}}}}},
		{name: "non-owner (EDC) changed the date alone",
			edc: func(it *Item) { it.PlannedActivationDate = "2025-06-01" }, skew: EDC,
			outcome: OutcomeWriteEDC,
			writes:  []wantWrite{{EDC, []Change{{FieldPlannedActivationDate, "2025-06-01", "2025-04-01", OwnerRestored}}}}},
		{name: "non-owner cleared an owned field",
			ctms:    func(it *Item) { it.EvidenceDocID = "" },
			outcome: OutcomeWriteCTMS,
			writes:  []wantWrite{{CTMS, []Change{{FieldEvidenceDocID, "", "DOC-1", OwnerRestored}}}}},
		{name: "non-owner changed the version",
			ctms:    func(it *Item) { it.Version = "V2" },
			outcome: OutcomeWriteCTMS,
			writes:  []wantWrite{{CTMS, []Change{{FieldVersion, "V2", "V1", OwnerRestored}}}}},
		{name: "each system owns one changed field: writes to both",
			edc: func(it *Item) { it.Status = Complete }, ctms: func(it *Item) { it.PlannedActivationDate = "2025-05-01" },
			outcome: OutcomeWriteBoth,
			writes: []wantWrite{
				{EDC, []Change{{FieldPlannedActivationDate, "2025-04-01", "2025-05-01", OwnerChanged}}},
				{CTMS, []Change{{FieldStatus, "in_review", "complete", OwnerChanged}}},
			},
			baseline: func(it *Item) { it.Status, it.PlannedActivationDate = Complete, "2025-05-01" }},
		{name: "one system changes an owned and a not-owned field",
			edc:     func(it *Item) { it.Status, it.PlannedActivationDate = Complete, "2025-06-01" },
			outcome: OutcomeWriteBoth,
			writes: []wantWrite{
				{EDC, []Change{{FieldPlannedActivationDate, "2025-06-01", "2025-04-01", OwnerRestored}}},
				{CTMS, []Change{{FieldStatus, "in_review", "complete", OwnerChanged}}},
			},
			baseline: func(it *Item) { it.Status = Complete }},
		{name: "several fields to one side in field order",
			edc:     func(it *Item) { it.Status, it.EvidenceDocID, it.Version = Complete, "DOC-2", "V2" },
			outcome: OutcomeWriteCTMS,
			writes: []wantWrite{{CTMS, []Change{
				{FieldVersion, "V1", "V2", OwnerChanged},
				{FieldStatus, "in_review", "complete", OwnerChanged},
				{FieldEvidenceDocID, "DOC-1", "DOC-2", OwnerChanged},
			}}},
			baseline: func(it *Item) { it.Status, it.EvidenceDocID, it.Version = Complete, "DOC-2", "V2" }},
		{name: "changed on both sides to different values: conflict, nothing written",
			edc:      func(it *Item) { it.Status, it.EvidenceDocID = Complete, "DOC-2" },
			ctms:     func(it *Item) { it.Status = Rejected },
			outcome:  OutcomeConflict,
			conflict: []FieldConflict{{FieldStatus, "complete", "rejected", "in_review"}}},
		{name: "a field cleared on one side and edited on the other is a conflict",
			edc: func(it *Item) { it.EvidenceDocID = "" }, ctms: func(it *Item) { it.EvidenceDocID = "DOC-3" },
			outcome:  OutcomeConflict,
			conflict: []FieldConflict{{FieldEvidenceDocID, "", "DOC-3", "DOC-1"}}},
		{name: "a field only the CTMS holds is read, never written",
			ctms:     func(it *Item) { it.MilestoneSignedOff = FlagYes },
			outcome:  OutcomeInSync,
			baseline: func(it *Item) { it.MilestoneSignedOff = FlagYes }},
		{name: "deleted in the CTMS, edited in the EDC: conflict",
			ctmsGone: true, edc: func(it *Item) { it.Status = Complete },
			outcome: OutcomeConflict, deleted: CTMS,
			conflict: []FieldConflict{{FieldStatus, "complete", "", "in_review"}}},
		{name: "deleted in the EDC, unchanged in the CTMS: gap",
			edcGone: true, outcome: OutcomeGap, missing: EDC},
		{name: "only in the EDC, never agreed: gap",
			ctmsGone: true, noBaseline: true, outcome: OutcomeGap, missing: CTMS},
		{name: "only in the CTMS, never agreed: gap",
			edcGone: true, noBaseline: true, ctms: func(it *Item) { it.Status = Complete }, outcome: OutcomeGap, missing: EDC},
		{name: "first sync: the owner wins per field",
			noBaseline: true,
			edc:        func(it *Item) { it.Status, it.PlannedActivationDate = Complete, "2025-06-01" },
			ctms:       func(it *Item) { it.EvidenceDocID, it.MilestoneSignedOff = "DOC-9", FlagYes },
			outcome:    OutcomeWriteBoth, initial: true,
			writes: []wantWrite{
				{EDC, []Change{{FieldPlannedActivationDate, "2025-06-01", "2025-04-01", InitialAlignment}}},
				{CTMS, []Change{
					{FieldStatus, "in_review", "complete", InitialAlignment},
					{FieldEvidenceDocID, "DOC-9", "DOC-1", InitialAlignment},
				}},
			},
			baseline: func(it *Item) { it.Status, it.MilestoneSignedOff = Complete, FlagYes }},
		{name: "first sync, already equal: the baseline is recorded",
			noBaseline: true, outcome: OutcomeInSync, initial: true, baseline: func(*Item) {}},
		{name: "open conflict, both systems now agree: it closes",
			open: true, edc: func(it *Item) { it.Status = Rejected }, ctms: func(it *Item) { it.Status = Rejected },
			outcome: OutcomeInSync, closes: true, baseline: func(it *Item) { it.Status = Rejected }},
		{name: "open conflict, one side went back: still held, nothing written",
			open: true, ctms: func(it *Item) { it.Status = Rejected },
			outcome:  OutcomeConflict,
			conflict: []FieldConflict{{FieldStatus, "in_review", "rejected", "in_review"}}},
		{name: "open conflict on a deleted item with no edit left: still held",
			open: true, ctmsGone: true, outcome: OutcomeConflict, deleted: CTMS,
			conflict: []FieldConflict{
				{FieldVersion, "V1", "", "V1"}, {FieldStatus, "in_review", "", "in_review"},
				{FieldEvidenceDocID, "DOC-1", "", "DOC-1"}, {FieldPlannedActivationDate, "2025-04-01", "", "2025-04-01"},
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			edcIt, ctmsIt := agreed, agreed
			edcIt.MilestoneSignedOff = NoFlag
			edcIt.SourceUpdated, edcIt.Operator = utc(t, "2025-03-01T10:00:00Z"), "crc.jones"
			ctmsIt.SourceUpdated, ctmsIt.Operator = utc(t, "2025-03-01T09:00:00Z"), "cra.lee"
			switch c.skew {
			case EDC:
				edcIt.SourceUpdated, ctmsIt.SourceUpdated = utc(t, "2041-01-01T00:00:00Z"), utc(t, "2001-01-01T00:00:00Z")
			case CTMS:
				edcIt.SourceUpdated, ctmsIt.SourceUpdated = utc(t, "2001-01-01T00:00:00Z"), utc(t, "2041-01-01T00:00:00+14:00")
			}
			if c.edc != nil {
				c.edc(&edcIt)
			}
			if c.ctms != nil {
				c.ctms(&ctmsIt)
			}
			in := Input{Baselines: map[Key]Baseline{}, Open: map[Key]bool{}}
			if !c.edcGone {
				in.EDC = []Record{record(t, e, EDC, edcIt)}
			}
			if !c.ctmsGone {
				in.CTMS = []Record{record(t, e, CTMS, ctmsIt)}
			}
			k := agreed.Key()
			var rev uint64 // the stored baseline's revision
			if !c.noBaseline {
				rev = 4
				in.Baselines[k] = Baseline{Item: agreed, Revision: rev}
			}
			in.Open[k] = c.open
			p := e.Plan(in)
			if len(p.Decisions) != 1 {
				t.Fatalf("%d decisions", len(p.Decisions))
			}
			d := p.Decisions[0]
			if d.Key != k || d.Outcome != c.outcome || d.Initial != c.initial || d.Missing != c.missing || d.ClosesConflict != c.closes {
				t.Errorf("decision %s %s initial=%v missing=%q closes=%v, want %s initial=%v missing=%q closes=%v",
					d.Key, d.Outcome, d.Initial, d.Missing, d.ClosesConflict, c.outcome, c.initial, c.missing, c.closes)
			}
			checkWrites(t, e, &d, fmt.Sprintf("b%d", rev), c.writes)
			switch {
			case c.conflict == nil && d.Conflict != nil:
				t.Errorf("unexpected conflict %+v", d.Conflict.Fields)
			case c.conflict != nil && d.Conflict == nil:
				t.Errorf("no conflict, want %+v", c.conflict)
			case c.conflict != nil:
				if !reflect.DeepEqual(d.Conflict.Fields, c.conflict) || d.Conflict.Deleted != c.deleted {
					t.Errorf("conflict %+v deleted %q\nwant     %+v deleted %q", d.Conflict.Fields, d.Conflict.Deleted, c.conflict, c.deleted)
				}
				if d.Conflict.Baseline == nil || d.Conflict.Baseline.Item != agreed || d.Conflict.Baseline.Revision != rev {
					t.Errorf("conflict baseline %+v", d.Conflict.Baseline)
				}
				if (d.Conflict.EDC == nil) != c.edcGone || (d.Conflict.CTMS == nil) != c.ctmsGone ||
					(d.Conflict.EDCRaw == nil) != c.edcGone || (d.Conflict.CTMSRaw == nil) != c.ctmsGone {
					t.Error("the conflict does not hold both sides as they are")
				}
			}
			switch {
			case c.baseline == nil && d.Baseline != nil:
				t.Errorf("baseline moves to %+v; it must stand", *d.Baseline)
			case c.baseline != nil && d.Baseline == nil:
				t.Errorf("baseline stands; want it to move")
			case c.baseline != nil:
				want := Baseline{Item: agreed, Revision: rev + 1}
				c.baseline(&want.Item)
				if *d.Baseline != want {
					t.Errorf("baseline %+v\nwant     %+v", *d.Baseline, want)
				}
			}
			var counted int
			for _, n := range []int{p.Counts.InSync, p.Counts.WriteCTMS, p.Counts.WriteEDC, p.Counts.WriteBoth, p.Counts.Conflict, p.Counts.Gap, p.Counts.Unmapped} {
				counted += n
			}
			if p.Counts.Items != 1 || counted != 1 {
				t.Errorf("counts %+v", p.Counts)
			}
		})
	}
}

// TestWritesKeepTheOwnersSpelling: codes compare ignoring case, but the value written is the owner's own
// spelling, not the canonical upper case; the audit values stay canonical.
func TestWritesKeepTheOwnersSpelling(t *testing.T) {
	e := defaultEngine(t)
	edc := e.Adapter(EDC).Decode(json.RawMessage(`{"siteId":"101","code":"FDA-1572","version":" v1","status":"SUBMITTED",
		"documentId":"vv-Tmf-77","plannedActivation":"2025-04-01","updatedAt":"2025-03-01T10:00:00Z"}`))
	ctms := record(t, e, CTMS, Item{Site: "101", Code: "FDA-1572", Version: "V1", Status: InReview, EvidenceDocID: "DOC-1",
		PlannedActivationDate: "2025-04-01", SourceUpdated: utc(t, "2025-03-01T10:00:00Z")})
	p := e.Plan(Input{EDC: []Record{edc}, CTMS: []Record{ctms},
		Baselines: map[Key]Baseline{agreed.Key(): {Item: agreed}}})
	d := p.Decisions[0]
	if d.Outcome != OutcomeWriteCTMS {
		t.Fatalf("%s", d.Outcome)
	}
	w := d.Writes[0]
	if want := []Change{{FieldEvidenceDocID, "DOC-1", "VV-TMF-77", OwnerChanged}}; !reflect.DeepEqual(w.Changes, want) {
		t.Errorf("changes %+v", w.Changes)
	}
	var body map[string]any
	if err := json.Unmarshal(w.Body, &body); err != nil || body["documentId"] != "vv-Tmf-77" || body["formVersion"] != "V1" {
		t.Errorf("body %s", w.Body)
	}
}

// checkWrites compares d's writes with want, and checks that each body is what the target system will
// read as its record with exactly those changes, sent to its own path with the key of that payload.
func checkWrites(t *testing.T, e *Engine, d *Decision, basis string, want []wantWrite) {
	t.Helper()
	if len(d.Writes) != len(want) {
		t.Fatalf("%d writes %+v, want %d", len(d.Writes), d.Writes, len(want))
	}
	for i, w := range d.Writes {
		if d.WriteTo(w.System) != &d.Writes[i] {
			t.Errorf("WriteTo(%s) is not write %d", w.System, i)
		}
		if w.System != want[i].to || !reflect.DeepEqual(w.Changes, want[i].changes) {
			t.Errorf("write %d to %s %+v\nwant     to %s %+v", i, w.System, w.Changes, want[i].to, want[i].changes)
			continue
		}
		src := d.EDC
		if w.System == CTMS {
			src = d.CTMS
		}
		if w.Path != e.Adapter(w.System).ItemPath(src.SourceSite, src.SourceCode) {
			t.Errorf("write to %s path %s", w.System, w.Path)
		}
		if w.IdempotencyKey != idempotencyKey(w.System, w.Path, w.Body, basis) {
			t.Errorf("write to %s: the key is not the payload's", w.System)
		}
		got := e.Adapter(w.System).Decode(w.Body)
		exp := src.Item
		for _, ch := range w.Changes {
			ch.Field.set(&exp, ch.New)
		}
		if got.Item != exp {
			t.Errorf("write to %s reads back as %+v\nwant %+v", w.System, got.Item, exp)
		}
		var obj map[string]any
		_ = json.Unmarshal(w.Body, &obj)
		if obj["x-"+string(w.System)+"-only"] != "kept" {
			t.Errorf("write to %s drops a field trialsync does not know: %s", w.System, w.Body)
		}
	}
}
