package checklist

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/outbox"
	simchecklist "github.com/trialsync/trialsync/sync/sim/checklist"
)

// TestWriteTargetChanged: a person edits the target between the plan and the PUT. The write is not
// sent (the edit survives), its fields keep their old baseline, and the next run decides them again
// from what both systems hold then — here the owner's value goes across once more, over the new edit.
func TestWriteTargetChanged(t *testing.T) {
	h := seeded(t)
	h.edit(CTMS, set("101", "PI_CV", "plannedActivation", `"2025-06-30"`)) // the CTMS owns the date: write_edc
	before := h.state("101", "PI_CV").Agreed
	if rep := h.reconcile(); rep.Counts.WriteEDC != 1 || rep.Queued != 1 {
		t.Fatalf("plan: %+v", rep)
	}
	h.edit(EDC, set("101", "PI_CV", "documentId", `"DOC-EDITED"`)) // meanwhile, in the target
	h.deliver()
	e, _ := h.canonical(EDC, "101", "PI_CV")
	if e.EvidenceDocID != "DOC-EDITED" || e.PlannedActivationDate == "2025-06-30" || h.edcSim.Count("put") != 0 {
		t.Fatalf("the EDC after delivery: %+v (%d PUTs); the edit must survive and nothing be sent", e, h.edcSim.Count("put"))
	}
	st := h.state("101", "PI_CV")
	if st.Pending != nil || st.Agreed == nil || st.Agreed.Revision != before.Revision || !sameValues(&st.Agreed.Item, &before.Item) {
		t.Fatalf("after the dropped write: %+v (before %+v)", st, before)
	}
	if drops := h.entries(store.ActionChecklistDropped); len(drops) != 1 || !strings.Contains(drops[0].Reason, "changed since it was listed") {
		t.Fatalf("dropped entries: %+v", drops)
	}

	rep := h.run() // the EDC changed the document it owns, the CTMS the date it owns: one write each way
	if rep.Counts.WriteBoth != 1 {
		t.Fatalf("the next run: %s", rep.Counts)
	}
	e, _ = h.canonical(EDC, "101", "PI_CV")
	c, _ := h.canonical(CTMS, "101", "PI_CV")
	if e.PlannedActivationDate != "2025-06-30" || c.EvidenceDocID != "DOC-EDITED" {
		t.Fatalf("after the next run: EDC %+v, CTMS %+v", e, c)
	}
}

// TestWriteAlreadyThere: the target already holds the written values when the write comes to be sent
// (a person made the same change). Nothing is sent and the baseline moves to them.
func TestWriteAlreadyThere(t *testing.T) {
	h := seeded(t)
	h.edit(CTMS, set("101", "PI_CV", "plannedActivation", `"2025-06-30"`))
	h.reconcile()
	h.edit(EDC, set("101", "PI_CV", "plannedActivation", `"2025-06-30"`))
	rep := h.deliver()
	st := h.state("101", "PI_CV")
	if rep.Skipped != 1 || h.edcSim.Count("put") != 0 || st.Pending != nil || st.Agreed.PlannedActivationDate != "2025-06-30" {
		t.Fatalf("delivery %+v, %d PUTs, state %+v", rep, h.edcSim.Count("put"), st)
	}
}

// TestWritesUnderFaults: answers lost after the PUT was applied, 503s and 429s with Retry-After: every
// write has exactly one effect (one applied PUT per write, replays answered from the first), both
// systems end in agreement, and no Idempotency-Key is ever reused with another body.
func TestWritesUnderFaults(t *testing.T) {
	st := demoStudy(t)
	edcOpts, ctmsOpts := simchecklist.FromSeed(st, simchecklist.EDC), simchecklist.FromSeed(st, simchecklist.CTMS)
	edcOpts.Faults, ctmsOpts.Faults = "drop:0.3,503burst:2@0.1,429:0.1,seed:3", "drop:0.3,503burst:2@0.1,429storm:1@4,seed:4"
	h := newHarness(t, edcOpts, ctmsOpts)
	h.edit(EDC, set("101", "PI_CV", "status", `"RETURNED"`), set("102", "PI_CV", "status", `"RETURNED"`),
		set("103", "PI_CV", "status", `"RETURNED"`))
	h.edit(CTMS, set("101", "CTA_SIGNED", "plannedActivation", `"2025-08-01"`), set("102", "CTA_SIGNED", "plannedActivation", `"2025-08-01"`))
	rep := h.run() // no baselines: initial alignment, each field's owner wins
	if rep.Queued == 0 || rep.Queued != h.puts() {
		t.Fatalf("%d writes queued, %d PUTs applied; want one each", rep.Queued, h.puts())
	}
	if h.edcSim.Count("drop")+h.ctmsSim.Count("drop") == 0 {
		t.Fatal("no answer was dropped; the test proves nothing")
	}
	if n := h.edcSim.Count("idempotency422") + h.ctmsSim.Count("idempotency422"); n != 0 {
		t.Fatalf("%d keys reused with another body", n)
	}
	for _, k := range h.edcSim.Keys() {
		e, _ := h.canonical(EDC, k.Site, k.Code)
		c, _ := h.canonical(CTMS, k.Site, k.Code)
		if !h.engine.Adapter(EDC).holdsSame(&e, &c) {
			t.Errorf("%s/%s: EDC %+v, CTMS %+v", k.Site, k.Code, e, c)
		}
	}
	if again := h.run(); again.Queued != 0 || again.Counts.InSync != again.Counts.Items {
		t.Fatalf("second run: %+v", again)
	}
}

// TestDiscardedWrite: a person discards a queued write. The next run settles it as dropped (its
// fields keep their old baseline) and plans the item afresh, with a new message.
func TestDiscardedWrite(t *testing.T) {
	h := seeded(t)
	h.edit(CTMS, set("101", "PI_CV", "plannedActivation", `"2025-06-30"`))
	h.reconcile()
	p := h.state("101", "PI_CV").Pending
	if p == nil || len(p.Writes) != 1 {
		t.Fatalf("pending %+v", p)
	}
	if _, err := h.ob.Discard(t.Context(), "crc.jones", p.Writes[0].Message, "checking with the site first"); err != nil {
		t.Fatal(err)
	}
	rep := h.reconcile()
	np := h.state("101", "PI_CV").Pending
	if rep.Queued != 1 || np == nil || np.Writes[0].Message == p.Writes[0].Message {
		t.Fatalf("after the discard: %+v, pending %+v", rep, np)
	}
	drops := h.entries(store.ActionChecklistDropped)
	if len(drops) != 1 || !strings.Contains(drops[0].Reason, "discarded by crc.jones") {
		t.Fatalf("dropped entries %+v", drops)
	}
	h.deliver()
	if e, _ := h.canonical(EDC, "101", "PI_CV"); e.PlannedActivationDate != "2025-06-30" {
		t.Fatalf("EDC %+v", e)
	}
}

// TestPendingOutcome: the baseline a settled decision leaves, field by field.
func TestPendingOutcome(t *testing.T) {
	old := &Baseline{Item: Item{Site: "101", Code: "A", Version: "V1", Status: InReview, EvidenceDocID: "D1", PlannedActivationDate: "2025-01-01"}, Revision: 4}
	next := &Baseline{Item: old.Item, Revision: 5}
	next.Status, next.PlannedActivationDate = Complete, "2025-02-02"
	w := func(s System, state string, fields ...Field) PendingWrite {
		return PendingWrite{System: s, State: state, Fields: fields}
	}
	tests := []struct {
		name string
		p    Pending
		old  *Baseline
		want *Baseline
	}{
		{"all done", Pending{Baseline: next, Writes: []PendingWrite{w(CTMS, WriteDone, FieldStatus), w(EDC, WriteDone, FieldPlannedActivationDate)}}, old, next},
		{"one dropped", Pending{Baseline: next, Writes: []PendingWrite{w(CTMS, WriteDone, FieldStatus), w(EDC, WriteDropped, FieldPlannedActivationDate)}}, old,
			&Baseline{Item: Item{Site: "101", Code: "A", Version: "V1", Status: Complete, EvidenceDocID: "D1", PlannedActivationDate: "2025-01-01"}, Revision: 5}},
		{"all dropped", Pending{Baseline: next, Writes: []PendingWrite{w(CTMS, WriteDropped, FieldStatus), w(EDC, WriteDropped, FieldPlannedActivationDate)}}, old, old},
		{"dropped, no old baseline", Pending{Baseline: next, Writes: []PendingWrite{w(EDC, WriteDropped, FieldPlannedActivationDate)}}, nil, nil},
		{"deletion", Pending{DropBaseline: true}, old, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.p.outcome(tt.old)
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(tt.want)
			if string(gj) != string(wj) {
				t.Fatalf("got  %s\nwant %s", gj, wj)
			}
		})
	}
}

// TestFindingsCleared: a gap or unmapped record stays on record with its raw bytes while it lasts and
// is cleared once the systems are fixed; a record without an item code is kept too.
func TestFindingsCleared(t *testing.T) {
	h := seeded(t)
	h.edit(EDC, simchecklist.Edit{Site: "103", Code: "PI_CV", Raw: true, Fields: map[string]json.RawMessage{"status": json.RawMessage(`"WITHDRAWN"`)}})
	h.run()
	f := h.state("103", "PI_CV").Finding
	if f == nil || f.Outcome != OutcomeUnmapped || len(f.Defects) != 1 || !strings.Contains(string(f.Defects[0].Raw), `"WITHDRAWN"`) ||
		!strings.Contains(f.Defects[0].Reason, "not in the EDC vocabulary") {
		t.Fatalf("finding %+v", f)
	}
	ov, err := Look(t.Context(), h.db, h.study, "103")
	if err != nil || len(ov.Unmapped) != 1 || len(ov.Conflicts) != 1 || ov.Sites[0] != "101" {
		t.Fatalf("overview %+v, %v", ov, err)
	}
	h.edit(EDC, set("103", "PI_CV", "status", `"SUBMITTED"`))
	h.run()
	if st := h.state("103", "PI_CV"); st.Finding != nil {
		t.Fatalf("after the fix: %+v", st)
	}
	if n := len(h.entries(store.ActionChecklistFinding)); n != 1 {
		t.Fatalf("%d finding entries, want 1 (a run that finds it again records nothing new)", n)
	}
}

// TestMessagePayload: the outbox carries each write's body and key exactly as planned.
func TestMessagePayload(t *testing.T) {
	h := seeded(t)
	h.edit(CTMS, set("101", "PI_CV", "plannedActivation", `"2025-06-30"`))
	edc, ctms, err := listBoth(t.Context(), h.study, h.edc, h.ctms)
	if err != nil {
		t.Fatal(err)
	}
	st, err := h.rec.load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	plan := h.engine.Plan(Input{EDC: edc, CTMS: ctms, Baselines: st.baselines, Open: st.open})
	var w *Write
	for i := range plan.Decisions {
		if plan.Decisions[i].Outcome == OutcomeWriteEDC {
			w = &plan.Decisions[i].Writes[0]
		}
	}
	h.reconcile()
	m, err := outbox.Get(t.Context(), h.db, h.state("101", "PI_CV").Pending.Writes[0].Message)
	if err != nil {
		t.Fatal(err)
	}
	var msg writeMessage
	if err := m.Decode(&msg); err != nil {
		t.Fatal(err)
	}
	if w == nil || m.Kind != outbox.KindChecklist || m.Key != "101/PI_CV" || m.IdempotencyKey != w.IdempotencyKey ||
		msg.Body != string(w.Body) || msg.Path != w.Path {
		t.Fatalf("message %+v carries %+v; the plan's write was %+v", m, msg, w)
	}
}

// TestStuckWrite: a write the target refuses for good (here the CTMS's own record holds a value of the
// wrong type, which its PUT then refuses) stays on its way, with why, until a person retries or
// discards its message; the item is not planned again meanwhile.
func TestStuckWrite(t *testing.T) {
	h := seeded(t)
	h.edit(EDC, set("101", "PI_CV", "documentId", `"7"`), set("101", "PI_CV", "status", `"RETURNED"`))
	h.edit(CTMS, simchecklist.Edit{Site: "101", Code: "PI_CV", Raw: true, Fields: map[string]json.RawMessage{"documentId": json.RawMessage(`7`)}})
	rep := h.run()
	if rep.Counts.WriteCTMS != 1 {
		t.Fatalf("counts %s", rep.Counts)
	}
	ov, err := Look(t.Context(), h.db, h.study, "101")
	if err != nil || len(ov.InFlight) != 1 || len(ov.InFlight[0].Stuck) != 1 {
		t.Fatalf("overview %+v, %v", ov.InFlight, err)
	}
	for _, why := range ov.InFlight[0].Stuck {
		if !strings.Contains(why, "HTTP 400") {
			t.Fatalf("stuck because %q", why)
		}
	}
	if again := h.run(); again.InFlight != 1 || again.Queued != 0 {
		t.Fatalf("the next run: %+v", again)
	}
}
