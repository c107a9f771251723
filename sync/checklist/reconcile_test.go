package checklist

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/trialsync/trialsync/store"
	simchecklist "github.com/trialsync/trialsync/sync/sim/checklist"
)

// everyOutcome plays, on the seeded demo study (whose three declared conflicts show once the seed's
// baselines are stored), the edits that give every other outcome, and returns the expected counts.
func everyOutcome(h *harness) Counts {
	h.t.Helper()
	other := func(sys System, site, code string) string { // a status word other than the item's own
		it, _ := h.canonical(sys, site, code)
		words := map[System][2]string{EDC: {"RETURNED", "DRAFT"}, CTMS: {"Rework", "Pending"}}
		if it.Status == Rejected {
			return `"` + words[sys][1] + `"`
		}
		return `"` + words[sys][0] + `"`
	}
	// write_ctms: the EDC changed the status it owns; the CTMS changed the evidence document the EDC owns.
	h.edit(EDC, set("101", "CTA_SIGNED", "status", other(EDC, "101", "CTA_SIGNED")))
	h.edit(CTMS, set("102", "PI_CV", "documentId", `"DOC-ROGUE"`))
	// write_edc: the CTMS moved the planned date it owns.
	h.edit(CTMS, set("101", "PI_CV", "plannedActivation", `"2025-06-30"`))
	// write_both: one item, each system changed a field it owns.
	h.edit(EDC, set("102", "GCP_TRAINING", "status", other(EDC, "102", "GCP_TRAINING")))
	h.edit(CTMS, set("102", "GCP_TRAINING", "plannedActivation", `"2025-07-01"`))
	// gap: an item only the EDC has (no baseline), and one the CTMS deleted while the EDC left it alone.
	h.edit(EDC, simchecklist.Edit{Site: "101", Code: "SITE_VISIT", Fields: map[string]json.RawMessage{
		"status": json.RawMessage(`"DRAFT"`), "version": json.RawMessage(`"v1"`)}})
	h.edit(CTMS, simchecklist.Edit{Op: "delete", Site: "103", Code: "CTA_SIGNED"})
	// unmapped: a status outside the EDC's vocabulary.
	h.edit(EDC, simchecklist.Edit{Site: "103", Code: "PI_CV", Raw: true, Fields: map[string]json.RawMessage{"status": json.RawMessage(`"WITHDRAWN"`)}})
	return Counts{Items: 19, InSync: 9, WriteCTMS: 2, WriteEDC: 1, WriteBoth: 1, Conflict: 3, Gap: 2, Unmapped: 1}
}

// TestReconcileEveryOutcome: one run against the simulators meets every outcome; after it both
// systems agree on every item that is neither in conflict, a gap nor unmapped; the writes carry the
// owner's values and the audit trail keeps what they overwrote; and a second run makes no write at all.
func TestReconcileEveryOutcome(t *testing.T) {
	h := seeded(t)
	want := everyOutcome(h)
	rep := h.run()
	if rep.Counts != want {
		t.Fatalf("first run:  %s\nwant        %s", rep.Counts, want)
	}
	if rep.Queued != 5 || rep.Opened != 3 || rep.Findings != 3 || h.puts() != 5 {
		t.Fatalf("first run queued %d writes (PUTs applied %d), opened %d conflicts, %d findings; want 5, 5, 3, 3",
			rep.Queued, h.puts(), rep.Opened, rep.Findings)
	}

	skip := map[string]bool{"101/IRB_APPROVAL": true, "102/LAB_NORMALS": true, "103/PHARMACY_READY": true, // conflicts
		"101/SITE_VISIT": true, "103/CTA_SIGNED": true, "103/PI_CV": true} // gaps, unmapped
	for _, k := range h.edcSim.Keys() {
		if skip[k.Site+"/"+k.Code] {
			continue
		}
		e, _ := h.canonical(EDC, k.Site, k.Code)
		c, ok := h.canonical(CTMS, k.Site, k.Code)
		if !ok || !h.engine.Adapter(EDC).holdsSame(&e, &c) {
			t.Errorf("%s/%s after the run: EDC %+v, CTMS %+v", k.Site, k.Code, e, c)
		}
		st := h.state(k.Site, k.Code)
		if st.Pending != nil || st.Agreed == nil || !h.engine.Adapter(EDC).holdsSame(&st.Agreed.Item, &e) {
			t.Errorf("%s/%s baseline %+v, pending %+v; the systems hold %+v", k.Site, k.Code, st.Agreed, st.Pending, e)
		}
	}
	if c, _ := h.canonical(CTMS, "102", "PI_CV"); c.EvidenceDocID == "DOC-ROGUE" {
		t.Error("the CTMS's change of a field the EDC owns was not put back")
	}

	var restored *store.Entry
	for _, e := range h.entries(store.ActionChecklistWrite) {
		if strings.HasSuffix(e.Object, "/102/PI_CV/ctms") {
			restored = &e
		}
	}
	if restored == nil || restored.Old != "evidence_doc_id=DOC-ROGUE" || !strings.Contains(restored.Reason, "its value is put back") {
		t.Fatalf("the audit entry of the restore: %+v", restored)
	}
	if n := len(h.entries(store.ActionChecklistConflict)); n != 3 {
		t.Fatalf("%d conflict entries, want 3", n)
	}

	before := h.puts()
	gets := h.edcSim.Count("get") + h.ctmsSim.Count("get")
	again := h.run()
	want2 := Counts{Items: 19, InSync: 13, Conflict: 3, Gap: 2, Unmapped: 1}
	if again.Counts != want2 || again.Queued != 0 || h.puts() != before || h.edcSim.Count("get")+h.ctmsSim.Count("get") != gets {
		t.Fatalf("second run: %s, %d queued, %d PUTs more; want %s and none", again.Counts, again.Queued, h.puts()-before, want2)
	}
	if again.Opened+again.Refreshed+again.Findings+again.Moved != 0 {
		t.Fatalf("second run changed the store: %+v", again)
	}
}

// TestReconcileConflictKept: an open conflict keeps its ID and opening time across runs; when its
// sides change it is refreshed in place; nothing is written for it.
func TestReconcileConflictKept(t *testing.T) {
	h := seeded(t)
	h.run()
	cs, err := Conflicts(t.Context(), h.db, h.study, false)
	if err != nil || len(cs) != 3 {
		t.Fatalf("conflicts: %v %v", cs, err)
	}
	first := cs[0]
	if first.ID == "" || first.Opened.IsZero() || first.EDC == nil || first.CTMS == nil || first.Baseline == nil || len(first.Fields) != 1 {
		t.Fatalf("stored conflict %+v", first)
	}
	h.edit(CTMS, set(first.Key.Site, first.Key.Code, "modifiedBy", `"cra.other"`))
	rep := h.run()
	cs2, _ := Conflicts(t.Context(), h.db, h.study, false)
	if rep.Refreshed != 1 || rep.Opened != 0 || cs2[0].ID != first.ID || !cs2[0].Opened.Equal(first.Opened) || cs2[0].CTMS.Operator != "cra.other" {
		t.Fatalf("after an edit on one side: report %+v, conflict %+v", rep, cs2[0])
	}
}
