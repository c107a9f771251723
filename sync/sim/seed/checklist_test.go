package seed

import (
	"slices"
	"testing"
	"time"
)

// TestChecklistItems: every site has every item; the three systems' values agree except on the
// declared conflicts, where each side holds the value the seed names.
func TestChecklistItems(t *testing.T) {
	st, err := Load(studyFile)
	if err != nil {
		t.Fatal(err)
	}
	items := st.ChecklistItems()
	if len(items) != len(st.Sites)*len(st.Checklist.Items) {
		t.Fatalf("%d items, want %d", len(items), len(st.Sites)*len(st.Checklist.Items))
	}
	conflicts := map[[2]string]Conflict{}
	for _, c := range st.Checklist.Conflicts {
		conflicts[[2]string{c.Site, c.Item}] = c
	}
	for _, it := range items {
		checkValues(t, it.Baseline)
		c, ok := conflicts[[2]string{it.Site, it.Code}]
		if !ok {
			if it.EDC != it.Baseline || it.CTMS != it.Baseline {
				t.Errorf("%s/%s: systems disagree outside a conflict: %+v", it.Site, it.Code, it)
			}
			continue
		}
		field := func(v ChecklistValues) string {
			return map[string]string{"status": v.Status, "evidence_doc_id": v.EvidenceDocID, "planned_activation_date": v.PlannedActivationDate}[c.Field]
		}
		if field(it.Baseline) != c.Baseline || field(it.EDC) != c.EDC || field(it.CTMS) != c.CTMS {
			t.Errorf("%s/%s: conflict on %s not applied: %+v", it.Site, it.Code, c.Field, it)
		}
	}
	again := st.ChecklistItems()
	if !slices.Equal(items, again) {
		t.Error("the same seed gave different checklists")
	}
}

// TestSyntheticChecklist: n items, unique keys, about the asked fraction drifted, each drift on one
// side and one field only (a write, never a conflict).
func TestSyntheticChecklist(t *testing.T) {
	items := SyntheticChecklist(7, 10_050, 0.01)
	if len(items) != 10_050 || items[0].Site != "S0001" || items[len(items)-1].Site != "S0101" {
		t.Fatalf("%d items, first %s, last %s", len(items), items[0].Site, items[len(items)-1].Site)
	}
	seen := map[[2]string]bool{}
	drifted := 0
	for _, it := range items {
		k := [2]string{it.Site, it.Code}
		if seen[k] {
			t.Fatalf("%v twice", k)
		}
		seen[k] = true
		checkValues(t, it.Baseline)
		edc, ctms := it.EDC != it.Baseline, it.CTMS != it.Baseline
		if edc && ctms {
			t.Fatalf("%v drifted on both sides", k)
		}
		if edc || ctms {
			drifted++
		}
	}
	if drifted < 60 || drifted > 140 {
		t.Errorf("%d items drifted, want about 100", drifted)
	}
	if n := len(SyntheticChecklist(7, 10_050, 0)); n != 10_050 {
		t.Fatal(n)
	}
	for _, it := range SyntheticChecklist(7, 500, 0) {
		if it.EDC != it.Baseline || it.CTMS != it.Baseline {
			t.Fatalf("drift 0 drifted %+v", it)
		}
	}
}

func checkValues(t *testing.T, v ChecklistValues) {
	t.Helper()
	if !slices.Contains(Statuses, v.Status) {
		t.Errorf("status %q", v.Status)
	}
	if d := v.PlannedActivationDate; d != "" {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			t.Errorf("date %q", d)
		}
	}
	if v.MilestoneSignedOff && v.Status != "complete" {
		t.Errorf("signed off while %s", v.Status)
	}
}
