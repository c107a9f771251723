package checklist

import (
	"encoding/json"
	"testing"

	simchecklist "github.com/trialsync/trialsync/sync/sim/checklist"
	"github.com/trialsync/trialsync/sync/sim/seed"
)

// TestStreamingEqualsWhole: planned page by page as the listings arrive (pages of 5 and 7 items, so
// that the two listings' edges never line up), a run makes exactly the decisions Plan makes on the
// whole listings.
func TestStreamingEqualsWhole(t *testing.T) {
	h := seeded(t)
	everyOutcome(h)
	streamed, srep, st, err := h.rec.planStreaming(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	edc, ctms, err := listBoth(t.Context(), h.study, h.edc, h.ctms)
	if err != nil {
		t.Fatal(err)
	}
	plan := h.engine.Plan(Input{EDC: edc, CTMS: ctms, Baselines: st.baselines, Open: st.open})
	var wrep Report
	whole, _ := h.rec.sortDecisions(&plan, st, &wrep)
	if srep.Counts != wrep.Counts || len(streamed) != len(whole) {
		t.Fatalf("streamed %s (%d ops), whole %s (%d ops)", srep.Counts, len(streamed), wrep.Counts, len(whole))
	}
	for i := range whole {
		a, _ := json.Marshal(streamed[i].d)
		b, _ := json.Marshal(whole[i].d)
		if string(a) != string(b) || streamed[i].key != whole[i].key || streamed[i].sawRev != whole[i].sawRev {
			t.Fatalf("decision %d:\nstreamed %s\nwhole    %s", i, a, b)
		}
	}
}

// TestUnsortedListing: a system whose listing is not in key order (its raw codes sort differently
// from their canonical, upper-case form) is read again whole, and the run decides as it would have.
func TestUnsortedListing(t *testing.T) {
	items := []seed.ChecklistItem{}
	for _, code := range []string{"C_ITEM", "b_item", "A_ITEM"} {
		v := seed.ChecklistValues{Status: "in_review", EvidenceDocID: "DOC-" + code, PlannedActivationDate: "2025-03-01"}
		items = append(items, seed.ChecklistItem{Site: "101", Code: code, Version: "v1", Baseline: v, EDC: v, CTMS: v})
	}
	h := newHarness(t, simchecklist.Options{System: simchecklist.EDC, Items: items}, simchecklist.Options{System: simchecklist.CTMS, Items: items})
	h.edit(EDC, set("101", "b_item", "status", `"APPROVED"`))
	rep := h.run()
	if rep.Counts != (Counts{Items: 3, InSync: 2, WriteCTMS: 1}) {
		t.Fatalf("counts %s", rep.Counts)
	}
	// Streaming lists each system once (one page each); the whole listings read both again. The other
	// listing may be cancelled before its request leaves, as soon as the inversion is seen.
	if n := h.edcSim.Count("list") + h.ctmsSim.Count("list"); n < 3 {
		t.Fatalf("%d list requests: the unsorted listing was not read again whole", n)
	}
	if c, _ := h.canonical(CTMS, "101", "b_item"); c.Status != Complete {
		t.Fatalf("CTMS %+v", c)
	}
}
