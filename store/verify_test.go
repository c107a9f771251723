package store_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/store/storetest"
)

// TestVerifyNamesFirstBadEntry damages a closed 20-entry store in each way an attacker or a disk could,
// and checks that Verify names the entry and the kind of damage.
func TestVerifyNamesFirstBadEntry(t *testing.T) {
	deleteKey := func(path string, _ uint64) error { return nil } // done through the keyring below
	cases := []struct {
		name    string
		tamper  storetest.Tamper
		seq     uint64
		dropKey bool
		want    store.ProblemKind
		wantSeq uint64
	}{
		{"change a field", storetest.ChangeField, 7, false, store.ContentChanged, 7},
		{"delete an entry", storetest.DeleteEntry, 7, false, store.EntryMissing, 7},
		{"swap two entries", storetest.SwapEntries, 7, false, store.OrderChanged, 7},
		{"truncate the tail", storetest.TruncateTail, 15, false, store.TailTruncated, 15},
		{"recompute without the key", storetest.RecomputeWithoutKey, 7, false, store.CheckpointInvalid, 7},
		{"delete the key", deleteKey, 0, true, store.KeyMissing, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db, kr := storetest.OpenToDamage(t)
			path := db.Path()
			appendN(t, db, 19)
			id := db.InstallID()
			db.Close()
			if err := tc.tamper(path, tc.seq); err != nil {
				t.Fatal(err)
			}
			if tc.dropKey {
				if err := kr.Delete("audit." + id + ".key"); err != nil {
					t.Fatal(err)
				}
			}
			db, err := store.Open(t.Context(), path, store.Options{Keyring: kr})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			rep, err := db.Verify(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() {
				t.Fatal("tampered ledger verified")
			}
			if rep.Problem.Kind != tc.want || rep.Problem.Seq != tc.wantSeq {
				t.Fatalf("problem = %v (kind %d), want %v at %d", rep.Problem, rep.Problem.Kind, tc.want, tc.wantSeq)
			}
		})
	}
}

// TestVerifyDetectsRollback restores an older copy of the file after more entries were committed: the
// file is self-consistent, and only the keyring's checkpoint copy can tell.
func TestVerifyDetectsRollback(t *testing.T) {
	db, kr := storetest.OpenToDamage(t)
	appendN(t, db, 5)
	path := db.Path()
	db.Close()
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err = store.Open(t.Context(), path, store.Options{Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, db, 5)
	db.Close()
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err = store.Open(t.Context(), path, store.Options{Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := db.Verify(t.Context(), nil)
	if err != nil || rep.OK() || rep.Problem.Kind != store.TailTruncated || rep.Problem.Seq != 7 {
		t.Fatalf("verify of rolled-back store: %+v %v", rep.Problem, err)
	}
	db.Close()
}

// TestRolledBackStoreRefusesWrites: after a rollback, a write would move the keyring's copy of the
// checkpoint onto the old chain and erase the evidence; the store refuses it, and verify still reports.
func TestRolledBackStoreRefusesWrites(t *testing.T) {
	db, kr := storetest.OpenToDamage(t)
	appendN(t, db, 5)
	path := db.Path()
	db.Close()
	old, _ := os.ReadFile(path)
	db, _ = store.Open(t.Context(), path, store.Options{Keyring: kr})
	appendN(t, db, 5)
	db.Close()
	os.WriteFile(path, old, 0o600)
	db, err := store.Open(t.Context(), path, store.Options{Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(t.Context(), func(tx *store.Tx) error { _, err := tx.Append(store.Entry{Action: "after.rollback"}); return err })
	if err == nil || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("append to a rolled-back store: %v", err)
	}
	rep, err := db.Verify(t.Context(), nil)
	if err != nil || rep.OK() || rep.Problem.Seq != 7 {
		t.Fatalf("verify: %+v %v", rep.Problem, err)
	}
}

func TestAppendWithoutKeyIsRefused(t *testing.T) {
	db, kr := storetest.OpenToDamage(t)
	path, id := db.Path(), db.InstallID()
	db.Close()
	kr.Delete("audit." + id + ".key")
	db, err := store.Open(t.Context(), path, store.Options{Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(t.Context(), func(tx *store.Tx) error { _, err := tx.Append(store.Entry{Action: "x"}); return err })
	if err == nil {
		t.Fatal("append without the audit key succeeded")
	}
}

func TestVerifyProgress(t *testing.T) {
	db := storetest.Open(t, store.Options{})
	err := db.Update(t.Context(), func(tx *store.Tx) error {
		for range store.ProgressEvery * 2 {
			if _, err := tx.Append(store.Entry{Action: "bulk"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var calls []uint64
	rep, err := db.Verify(t.Context(), func(done, total uint64) {
		if total != store.ProgressEvery*2+1 {
			t.Errorf("total = %d", total)
		}
		calls = append(calls, done)
	})
	if err != nil || !rep.OK() {
		t.Fatal(rep.Problem, err)
	}
	if len(calls) < 3 || calls[len(calls)-1] != store.ProgressEvery*2+1 {
		t.Fatalf("progress calls %v", calls)
	}
}

// BenchmarkAuditAppend measures entries/s with one entry per transaction (each an fsync) and with
// 1,000 entries per transaction.
func BenchmarkAuditAppend(b *testing.B) {
	for _, batch := range []int{1, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			db := storetest.Open(b, store.Options{})
			e := store.Entry{Actor: "agent", Action: "pull.page", Object: "ALPHA(Prod)/101/audit", Reason: "page of 1000 records",
				PayloadHash: "9f2c5e0d1f0b8a7c6e5d4c3b2a19081726354453627180990a0b0c0d0e0f1011", RunID: "20261123T134500Z-a1b2c3"}
			b.ResetTimer()
			for n := 0; n < b.N; n += batch {
				err := db.Update(context.Background(), func(tx *store.Tx) error {
					for range min(batch, b.N-n) {
						if _, err := tx.Append(e); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

// BenchmarkAuditVerify1M verifies a ledger of 1,000,000 entries (built once, outside the timing).
func BenchmarkAuditVerify1M(b *testing.B) {
	const n = 1_000_000
	db := storetest.Open(b, store.Options{})
	e := store.Entry{Actor: "agent", Action: "pull.page", Object: "ALPHA(Prod)/101/audit", Reason: "page",
		PayloadHash: "9f2c5e0d1f0b8a7c6e5d4c3b2a19081726354453627180990a0b0c0d0e0f1011", RunID: "20261123T134500Z-a1b2c3"}
	for i := 1; i < n; i += 50_000 {
		err := db.Update(context.Background(), func(tx *store.Tx) error {
			for j := i; j < min(i+50_000, n); j++ {
				if _, err := tx.Append(e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		rep, err := db.Verify(context.Background(), nil)
		if err != nil || !rep.OK() || rep.Entries != n {
			b.Fatalf("verify: %+v %v", rep, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// TestListingShowsDamagedEntryInPlace: a listing goes on past an entry that cannot be decoded and shows
// it, marked, in its place.
func TestListingShowsDamagedEntryInPlace(t *testing.T) {
	db, kr := storetest.OpenToDamage(t)
	appendN(t, db, 9)
	path := db.Path()
	db.Close()
	if err := storetest.CorruptLength(path, 4); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(t.Context(), path, store.Options{Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	es, err := db.Entries(t.Context(), 0, 100)
	if err != nil || len(es) != 10 {
		t.Fatalf("%d entries, %v", len(es), err)
	}
	if es[3].Seq != 4 || es[3].Damage == "" || es[4].Damage != "" || es[4].Action != "test.append" {
		t.Fatalf("entries 4 and 5: %+v / %+v", es[3], es[4])
	}
}

// TestDeletedStoreIsRecordedInItsReplacement: a store deleted and created anew at the same path names
// the missing one in its first entry.
func TestDeletedStoreIsRecordedInItsReplacement(t *testing.T) {
	kr := storetest.NewKeyring(t)
	db := storetest.Open(t, store.Options{Keyring: kr})
	path, id := db.Path(), db.InstallID()
	db.Close()
	os.Remove(path)
	db, err := store.Open(t.Context(), path, store.Options{Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	es, _ := db.Entries(t.Context(), 0, 1)
	if es[0].Action != "store.created" || es[0].Old != id || !strings.Contains(es[0].Reason, "missing") {
		t.Fatalf("first entry of the replacement: %+v", es[0])
	}
}
