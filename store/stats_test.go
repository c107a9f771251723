package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/store/storetest"
)

func TestCountHours(t *testing.T) {
	db := storetest.Open(t, store.Options{})
	base := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	ctx := t.Context()
	var rows store.ClinicalBatch
	for i, site := range []string{"101", "101", "102", "101"} {
		rows.Add(&store.ClinicalKey{Study: "ALPHA(Prod)", Site: site, Subject: site + "-001", Item: "I" + string(rune('A'+i))},
			&store.ClinicalValue{Value: "v"})
	}
	err := db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.CountPulled(&rows, base.Add(5*time.Minute)); err != nil {
			return err
		}
		if err := tx.CountHour(store.StatSent, base.Add(59*time.Minute), 2); err != nil {
			return err
		}
		if err := tx.CountHourAt(store.StatSent, "ALPHA(Prod)", "102", base.Add(2*time.Hour), 5); err != nil {
			return err
		}
		return tx.CountHour(store.StatPulled, base.Add(-time.Hour), 7) // before the window
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		kind, study, site string
		want              []int64
	}{
		{store.StatPulled, "", "", []int64{4, 0, 0, 0}},
		{store.StatPulled, "ALPHA(Prod)", "101", []int64{3, 0, 0, 0}},
		{store.StatPulled, "ALPHA(Prod)", "102", []int64{1, 0, 0, 0}},
		{store.StatPulled, "ALPHA(Prod)", "10", []int64{0, 0, 0, 0}}, // no prefix match across parts
		{store.StatSent, "", "", []int64{2, 0, 5, 0}},
		{store.StatSent, "ALPHA(Prod)", "102", []int64{0, 0, 5, 0}},
	}
	err = db.View(ctx, func(tx *store.Tx) error {
		for _, tc := range cases {
			got := make([]int64, 4)
			if err := tx.Hours(tc.kind, tc.study, tc.site, base.Add(30*time.Minute), got); err != nil {
				return err
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s %s/%s: %v, want %v", tc.kind, tc.study, tc.site, got, tc.want)
			}
		}
		var scopes []string
		err := tx.WalkScopes(store.StatPulled, func(study, site string, last time.Time) error {
			scopes = append(scopes, study+"/"+site+"@"+last.Format("15:04"))
			return nil
		})
		if want := []string{"ALPHA(Prod)/101@10:05", "ALPHA(Prod)/102@10:05"}; !slices.Equal(scopes, want) {
			t.Errorf("scopes %v, want %v", scopes, want)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Counting again adds to the same hour.
	if err := db.Update(ctx, func(tx *store.Tx) error { return tx.CountHour(store.StatSent, base, 3) }); err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx *store.Tx) error {
		got := make([]int64, 1)
		if err := tx.Hours(store.StatSent, "", "", base, got); err != nil {
			return err
		}
		if got[0] != 5 {
			t.Errorf("sent at 10:00 after a second count: %d, want 5", got[0])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestVerificationRecord(t *testing.T) {
	db := storetest.Open(t, store.Options{})
	ctx := t.Context()
	err := db.View(ctx, func(tx *store.Tx) error {
		if _, ok, err := tx.LastVerification(); ok || err != nil {
			t.Errorf("a new store has a last verification (%v, %v)", ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	for _, v := range []store.Verification{
		{Time: at, By: "crc.jones", Entries: 4},
		{Time: at.Add(time.Hour), Entries: 5, Problem: "entry 3: content changed"},
	} {
		err := db.Update(ctx, func(tx *store.Tx) error {
			if _, err := tx.Append(store.Entry{Action: store.ActionAuditVerifyScheduled, Object: "audit"}); err != nil {
				return err
			}
			return tx.PutVerification(v)
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.View(ctx, func(tx *store.Tx) error {
			got, ok, err := tx.LastVerification()
			if !ok || err != nil || !got.Time.Equal(v.Time) || got.By != v.By || got.Problem != v.Problem || got.Scheduled() != (v.By == "") {
				t.Errorf("last verification %+v (%v, %v), want %+v", got, ok, err, v)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
