package checklist

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// conflictOf plans one item whose EDC and CTMS records are edc and ctms (nil: deleted) against the agreed
// baseline, and returns its conflict, stored under ID "7".
func conflictOf(t *testing.T, e *Engine, edc, ctms *Item) *Conflict {
	t.Helper()
	in := Input{Baselines: map[Key]Baseline{agreed.Key(): {Item: agreed, Revision: 3}}}
	if edc != nil {
		in.EDC = []Record{record(t, e, EDC, *edc)}
	}
	if ctms != nil {
		in.CTMS = []Record{record(t, e, CTMS, *ctms)}
	}
	d := e.Plan(in).Decisions[0]
	if d.Outcome != OutcomeConflict {
		t.Fatalf("planned %s, want a conflict", d.Outcome)
	}
	d.Conflict.ID = "7"
	return d.Conflict
}

func sides(edit func(edc, ctms *Item)) (*Item, *Item) {
	edc, ctms := agreed, agreed
	edc.MilestoneSignedOff = NoFlag
	edc.SourceUpdated = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	ctms.SourceUpdated = time.Date(2025, 3, 1, 11, 0, 0, 0, time.UTC)
	edit(&edc, &ctms)
	return &edc, &ctms
}

func TestResolve(t *testing.T) {
	e := defaultEngine(t)
	// Both changed the status; the EDC (owner) also changed the document, the CTMS (owner) the date.
	edc, ctms := sides(func(edc, ctms *Item) {
		edc.Status, edc.EvidenceDocID = Complete, "DOC-2"
		ctms.Status, ctms.PlannedActivationDate = Rejected, "2025-05-01"
	})
	twoFields := func(edc, ctms *Item) { edc.Version, ctms.Version = "V2", "V3" }
	cases := []struct {
		name     string
		edit     func(edc, ctms *Item)
		take     func(*Conflict) map[Field]System
		outcome  Outcome
		writes   []wantWrite
		baseline func(*Item)
	}{
		{name: "take the EDC: its status goes to the CTMS, with the held writes",
			take:    func(c *Conflict) map[Field]System { return TakeAll(c, EDC) },
			outcome: OutcomeWriteBoth,
			writes: []wantWrite{
				{EDC, []Change{{FieldPlannedActivationDate, "2025-04-01", "2025-05-01", OwnerChanged}}},
				{CTMS, []Change{{FieldStatus, "rejected", "complete", Adjudicated}, {FieldEvidenceDocID, "DOC-1", "DOC-2", OwnerChanged}}},
			},
			baseline: func(it *Item) {
				it.Status, it.EvidenceDocID, it.PlannedActivationDate = Complete, "DOC-2", "2025-05-01"
			}},
		{name: "take the CTMS, which does not own the status: it is written to the owner",
			take:    func(c *Conflict) map[Field]System { return TakeAll(c, CTMS) },
			outcome: OutcomeWriteBoth,
			writes: []wantWrite{
				{EDC, []Change{{FieldStatus, "complete", "rejected", Adjudicated}, {FieldPlannedActivationDate, "2025-04-01", "2025-05-01", OwnerChanged}}},
				{CTMS, []Change{{FieldEvidenceDocID, "DOC-1", "DOC-2", OwnerChanged}}},
			},
			baseline: func(it *Item) {
				it.Status, it.EvidenceDocID, it.PlannedActivationDate = Rejected, "DOC-2", "2025-05-01"
			}},
		{name: "a choice per field",
			edit: func(edc, ctms *Item) {
				twoFields(edc, ctms)
				edc.Status, ctms.Status = Complete, Rejected
			},
			take:    func(*Conflict) map[Field]System { return map[Field]System{FieldVersion: CTMS, FieldStatus: EDC} },
			outcome: OutcomeWriteBoth,
			writes: []wantWrite{
				{EDC, []Change{{FieldVersion, "V2", "V3", Adjudicated}}},
				{CTMS, []Change{{FieldStatus, "rejected", "complete", Adjudicated}}},
			},
			baseline: func(it *Item) { it.Version, it.Status = "V3", Complete }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			edc, ctms := edc, ctms
			if c.edit != nil {
				edc, ctms = sides(c.edit)
			}
			conflict := conflictOf(t, e, edc, ctms)
			d, err := e.Resolve(conflict, c.take(conflict), "  confirmed with the site's regulatory binder ")
			if err != nil {
				t.Fatal(err)
			}
			if d.Outcome != c.outcome || !d.ClosesConflict || d.Reason != "confirmed with the site's regulatory binder" {
				t.Errorf("%s closes=%v reason %q", d.Outcome, d.ClosesConflict, d.Reason)
			}
			checkWrites(t, e, &d, "c7/b3", c.writes)
			want := Baseline{Item: agreed, Revision: 4}
			c.baseline(&want.Item)
			if d.Baseline == nil || *d.Baseline != want {
				t.Errorf("baseline %+v\nwant     %+v", d.Baseline, want)
			}
		})
	}
}

func TestResolveDeletion(t *testing.T) {
	e := defaultEngine(t)
	edc, _ := sides(func(edc, _ *Item) { edc.Status = Complete })
	c := conflictOf(t, e, edc, nil)
	if c.Deleted != CTMS {
		t.Fatalf("deleted %q", c.Deleted)
	}
	t.Run("keep the item: the CTMS gets it back", func(t *testing.T) {
		d, err := e.Resolve(c, TakeAll(c, EDC), "deleted by mistake")
		if err != nil {
			t.Fatal(err)
		}
		if d.Outcome != OutcomeWriteCTMS || len(d.Writes) != 1 || !d.Writes[0].Creates {
			t.Fatalf("%s %+v", d.Outcome, d.Writes)
		}
		w := d.Writes[0]
		want := []Change{
			{FieldVersion, "", "V1", Adjudicated}, {FieldStatus, "", "complete", Adjudicated},
			{FieldEvidenceDocID, "", "DOC-1", Adjudicated}, {FieldMilestoneSignedOff, "", "false", Adjudicated},
			{FieldPlannedActivationDate, "", "2025-04-01", Adjudicated},
		}
		if !reflect.DeepEqual(w.Changes, want) || w.Path != "/v1/checklist-items/101/FDA-1572" {
			t.Errorf("write %s %+v", w.Path, w.Changes)
		}
		const body = `{"site":"101","taskCode":"FDA-1572","formVersion":"V1","state":"Verified","documentId":"DOC-1","signedOff":false,"plannedActivation":"2025-04-01"}`
		if string(w.Body) != body {
			t.Errorf("body %s\nwant %s", w.Body, body)
		}
		b := agreed
		b.Status = Complete
		if d.Baseline == nil || *d.Baseline != (Baseline{Item: b, Revision: 4}) {
			t.Errorf("baseline %+v", d.Baseline)
		}
	})
	t.Run("accept the deletion: the item becomes a gap", func(t *testing.T) {
		d, err := e.Resolve(c, TakeAll(c, CTMS), "the site withdrew")
		if err != nil {
			t.Fatal(err)
		}
		if d.Outcome != OutcomeGap || d.Missing != CTMS || !d.DropBaseline || len(d.Writes) != 0 || d.Baseline != nil {
			t.Errorf("%+v", d)
		}
	})
}

func TestResolveErrors(t *testing.T) {
	e := defaultEngine(t)
	edc, ctms := sides(func(edc, ctms *Item) {
		edc.Status, ctms.Status = Complete, Rejected
		edc.Version, ctms.Version = "V2", "V3"
	})
	c := conflictOf(t, e, edc, ctms)
	deleted := conflictOf(t, e, edc, nil)
	noID := *c
	noID.ID = ""
	unreadable := *c
	unreadable.CTMSRaw = []byte(`{"site":"101","taskCode":"FDA-1572","state":"Closed","modifiedUtc":"2025-03-01T10:00:00Z"}`)
	other := *c
	other.CTMSRaw = raw(t, e, CTMS, Item{Site: "102", Code: "FDA-1572", Status: Complete, SourceUpdated: utc(t, "2025-03-01T10:00:00Z")})
	cases := []struct {
		name   string
		c      *Conflict
		take   map[Field]System
		reason string
		want   string
	}{
		{"no reason", c, TakeAll(c, EDC), " ", "conflict 101/FDA-1572: a reason is required to settle a conflict"},
		{"no ID", &noID, TakeAll(c, EDC), "r", "conflict 101/FDA-1572 has no ID: store it before settling it"},
		{"a field without a choice", c, map[Field]System{FieldStatus: EDC}, "r",
			`conflict 101/FDA-1572: no choice for version: take "edc" or "ctms"`},
		{"a choice that is no system", c, map[Field]System{FieldStatus: EDC, FieldVersion: "sponsor"}, "r",
			`conflict 101/FDA-1572: version: take "edc" or "ctms", not "sponsor"`},
		{"a choice for a field not in conflict", c, map[Field]System{FieldStatus: EDC, FieldVersion: EDC, FieldPlannedActivationDate: CTMS}, "r",
			"conflict 101/FDA-1572: planned_activation_date is not in conflict"},
		{"a record that no longer reads", &unreadable, TakeAll(c, EDC), "r",
			`conflict 101/FDA-1572: the CTMS record can no longer be read: state "Closed" is not in the CTMS vocabulary (Pending, Pending QC, Verified, Rework)`},
		{"a record of another item", &other, TakeAll(c, EDC), "r",
			"conflict 101/FDA-1572: the CTMS record is of item 102/FDA-1572"},
		{"a deletion settled field by field", deleted, map[Field]System{FieldStatus: EDC, FieldVersion: CTMS}, "r",
			"conflict 101/FDA-1572: the CTMS deleted the item; take one system for every field"},
	}
	if len(deleted.Fields) != 2 {
		t.Fatalf("the deletion conflict has %d fields", len(deleted.Fields))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Resolve(tc.c, tc.take, tc.reason)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v\nwant  %s", err, tc.want)
			}
		})
	}
	if _, err := e.Resolve(c, TakeAll(c, EDC), ""); !errors.Is(err, ErrNoReason) {
		t.Errorf("no reason: %v does not wrap ErrNoReason", err)
	}
}
