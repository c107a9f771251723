package store

import (
	"errors"
	"testing"
)

// TestWalkClinicalItem: one item of one study, every site and subject, in key order; not another
// study's (even one whose OID extends this one's), not another item's (even one whose OID ends like
// this one's).
func TestWalkClinicalItem(t *testing.T) {
	db, _ := mustOpen(t)
	key := func(study, site, subject, item string) ClinicalKey {
		return ClinicalKey{study, site, subject, "SCREEN", "", "RAND", "1", "RAND", "", item}
	}
	rows := []struct {
		k ClinicalKey
		v string
	}{
		{key("ALPHA(Prod)", "102", "102-001", "RAND.ARM"), "Arm B"},
		{key("ALPHA(Prod)", "101", "101-002", "RAND.ARM"), "Arm A"},
		{key("ALPHA(Prod)", "101", "101-002", "RAND.DSSTDT"), "03 MAR 2025"},
		{key("ALPHA(Prod)", "101", "101-003", "X.RAND.ARM"), "not the arm"},
		{key("ALPHA(Prod)2", "101", "101-009", "RAND.ARM"), "another study"},
		{key("ALPHA", "101", "101-008", "RAND.ARM"), "a study named like a prefix"},
		{key("ALPHA(Prod)", "101", "101-001", "RAND.ARM"), ""},
	}
	err := db.Update(t.Context(), func(tx *Tx) error {
		for _, r := range rows {
			v := ClinicalValue{Value: r.v, IsNull: r.v == "", AuditID: "1"}
			if _, err := tx.Clinical().Upsert(&r.k, &v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = db.View(t.Context(), func(tx *Tx) error {
		return tx.WalkClinicalItem("ALPHA(Prod)", "RAND.ARM", func(k ClinicalKey, v ClinicalValue) error {
			got = append(got, k.Site+"/"+k.Subject+"="+v.Value)
			return nil
		})
	})
	want := []string{"101/101-001=", "101/101-002=Arm A", "102/102-001=Arm B"}
	if err != nil || len(got) != len(want) {
		t.Fatalf("got %q (%v), want %q", got, err, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	// StopWalk ends early without an error; another error comes back.
	n := 0
	stop := errors.New("stop here")
	err = db.View(t.Context(), func(tx *Tx) error {
		if err := tx.WalkClinicalItem("ALPHA(Prod)", "RAND.ARM", func(ClinicalKey, ClinicalValue) error { n++; return StopWalk }); err != nil {
			return err
		}
		return tx.WalkClinicalItem("ALPHA(Prod)", "RAND.ARM", func(ClinicalKey, ClinicalValue) error { return stop })
	})
	if n != 1 || !errors.Is(err, stop) {
		t.Fatalf("StopWalk visited %d, the other error came back as %v", n, err)
	}
}
