package store

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
	"pgregory.net/rapid"
)

// stageRow is one generated row: few distinct keys (so that keys repeat within and across groups) and
// values that exercise every rule of supersedes: later and earlier audit records, dataset rows that
// agree or differ, nulls, the same value again from another run.
func stageRow(t *rapid.T) (ClinicalKey, ClinicalValue) {
	k := ClinicalKey{Study: rapid.SampledFrom([]string{"S", "T"}).Draw(t, "study"), Site: "101",
		Subject: fmt.Sprint(rapid.IntRange(0, 4).Draw(t, "subject")), Item: rapid.SampledFrom([]string{"A", "AB", "B"}).Draw(t, "item")}
	v := ClinicalValue{Value: fmt.Sprint(rapid.IntRange(0, 2).Draw(t, "value")), RunID: fmt.Sprint(rapid.IntRange(0, 1).Draw(t, "run"))}
	switch rapid.IntRange(0, 3).Draw(t, "kind") {
	case 0, 1:
		v.AuditID, v.Source = fmt.Sprint(rapid.IntRange(1, 9).Draw(t, "audit")), "audit"
	case 2:
		v.Source = "dataset"
	case 3:
		v.IsNull, v.Value, v.AuditID = true, "", fmt.Sprint(rapid.IntRange(1, 9).Draw(t, "audit"))
	}
	return k, v
}

func viewRows(t testing.TB, db *DB) []string {
	t.Helper()
	var rows []string
	err := db.WalkClinical(t.Context(), func(k ClinicalKey, v ClinicalValue) error {
		rows = append(rows, fmt.Sprintf("%q %+v", k, v))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func itemRows(t testing.TB, db *DB, study, item string) []string {
	t.Helper()
	var rows []string
	err := db.View(t.Context(), func(tx *Tx) error {
		return tx.WalkClinicalItem(study, item, func(k ClinicalKey, v ClinicalValue) error {
			rows = append(rows, fmt.Sprintf("%q %+v", k, v))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func sameRows(a, b []string) bool {
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// TestStageThenMergeEqualsWriting: groups of rows staged and later merged (in transactions as small
// as one key, by merges that may be cut short and resumed from the store alone, as after a crash)
// leave the clinical bucket byte for byte as writing each group straight into it does. Readers
// (WalkClinical, WalkClinicalItem) see after every commit, staging or merging, exactly what the
// straight writes showed after the same groups: staged rows at once, and never a merge half done.
// A straight write waits for the study's staged rows to be merged (ErrStagedPending).
func TestStageThenMergeEqualsWriting(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		direct, _ := mustOpen(t)
		staged, _ := mustOpen(t)
		staged.chunk = rapid.IntRange(1, 400).Draw(rt, "bytes per staged chunk") // runs of several chunks
		check := func(when string, want []string, wantItem []string) {
			if got := viewRows(t, staged); !sameRows(got, want) {
				rt.Fatalf("%s: staged store reads\n%v\nstraight writes read\n%v", when, got, want)
			}
			if got := itemRows(t, staged, "S", "A"); !sameRows(got, wantItem) {
				rt.Fatalf("%s: item A of S reads\n%v\nwant\n%v", when, got, wantItem)
			}
		}
		merge := func(when string, want, wantItem []string) {
			budget := rapid.IntRange(0, 300).Draw(rt, "merge bytes per transaction")
			removeEach := rapid.IntRange(1, 4).Draw(rt, "chunks removed per transaction")
			m := NewClinicalMerge("S")
			m.removeEach = removeEach
			for txs := 0; !m.Done(); txs++ {
				if txs > 10_000 {
					rt.Fatal("the merge makes no progress")
				}
				if err := staged.Update(t.Context(), func(tx *Tx) error { return tx.MergeStaged(m, 0, budget) }); err != nil {
					rt.Fatal(err)
				}
				check(fmt.Sprintf("%s, merge transaction %d", when, txs+1), want, wantItem)
				if !m.Done() && rapid.IntRange(0, 3).Draw(rt, "crash") == 0 {
					m = NewClinicalMerge("S") // a new process resumes from what the store says
					m.removeEach = removeEach
				}
			}
		}
		var want, wantItem []string
		groups := rapid.IntRange(1, 5).Draw(rt, "groups")
		for g := range groups {
			var a, b ClinicalBatch
			for range rapid.IntRange(0, 25).Draw(rt, "rows") {
				k, v := stageRow(rt)
				k.Study = "S" // one study per feed
				a.Add(&k, &v)
				b.Add(&k, &v)
			}
			if err := direct.Update(t.Context(), func(tx *Tx) error { return tx.Clinical().WriteRun(NewClinicalRun([]*ClinicalBatch{&a}), 0) }); err != nil {
				rt.Fatal(err)
			}
			want, wantItem = viewRows(t, direct), itemRows(t, direct, "S", "A")
			err := staged.Update(t.Context(), func(tx *Tx) error {
				_, err := tx.StageClinical("S", NewClinicalRun([]*ClinicalBatch{&b}))
				return err
			})
			if err != nil {
				rt.Fatal(err)
			}
			check(fmt.Sprintf("group %d staged", g+1), want, wantItem)
			if rapid.Bool().Draw(rt, "merge now") {
				merge(fmt.Sprintf("after group %d", g+1), want, wantItem)
			}
		}
		hasStaged := false
		staged.View(t.Context(), func(tx *Tx) error { hasStaged = tx.HasStaged("S"); return nil })
		straight := func(db *DB) error {
			var c ClinicalBatch
			c.Add(&ClinicalKey{Study: "S", Subject: "1", Item: "A"}, &ClinicalValue{Value: "straight"})
			return db.Update(t.Context(), func(tx *Tx) error { return tx.Clinical().WriteRun(NewClinicalRun([]*ClinicalBatch{&c}), 0) })
		}
		if err := straight(staged); hasStaged != errors.Is(err, ErrStagedPending) || !hasStaged && err != nil {
			rt.Fatalf("a straight write with staged rows pending (%v): %v", hasStaged, err)
		}
		if !hasStaged {
			if err := straight(direct); err != nil {
				rt.Fatal(err)
			}
			want, wantItem = viewRows(t, direct), itemRows(t, direct, "S", "A")
		}
		merge("at the end", want, wantItem)
		if hasStaged {
			if err := straight(staged); err != nil {
				rt.Fatalf("a straight write after the merge: %v", err)
			}
			if err := straight(direct); err != nil {
				rt.Fatal(err)
			}
		}
		if a, b := clinicalBytes(t, direct), clinicalBytes(t, staged); !bytes.Equal(a, b) {
			rt.Fatal("the clinical bucket differs from straight writes after the merge")
		}
		staged.View(t.Context(), func(tx *Tx) error {
			runs, index, merges, _ := tx.stagedBuckets(false)
			for _, b := range []*bolt.Bucket{runs, index, merges} {
				if b != nil && b.Stats().KeyN != 0 {
					rt.Fatalf("%d keys left in a staged bucket after the merge", b.Stats().KeyN)
				}
			}
			return nil
		})
	})
}

// TestMigrateToStagedRuns: a store of schema 1 (no stats or staged bucket, rows in the clinical bucket)
// opens as the current schema with an empty staged bucket and its rows and audit trail as they were; its rows can be
// staged and merged at once.
func TestMigrateToStagedRuns(t *testing.T) {
	kr := NewSystemKeyring(fmt.Sprintf("trialsync-test-%s", randomHex(4)), nil)
	path := t.TempDir() + "/old.db"
	db, err := Open(t.Context(), path, Options{Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	var b ClinicalBatch
	for i := range 3000 {
		b.Add(&ClinicalKey{Study: "S", Subject: fmt.Sprintf("%04d", i), Item: "A"}, &ClinicalValue{Value: fmt.Sprint(i), AuditID: "5", Source: "audit"})
	}
	if err := db.Update(t.Context(), func(tx *Tx) error { _, err := tx.Clinical().Write(&b); return err }); err != nil {
		t.Fatal(err)
	}
	// The layout schema 1 had: no stats bucket (schema 2) and no staged bucket (schema 3).
	err = db.bolt.Update(func(btx *bolt.Tx) error {
		for _, name := range [][]byte{BucketStats, BucketStaged} {
			if err := btx.DeleteBucket(name); err != nil {
				return err
			}
		}
		return writeSchema(btx, 1)
	})
	if err != nil {
		t.Fatal(err)
	}
	before := viewRows(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(t.Context(), path, Options{Keyring: kr, ReadOnly: true}); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("schema 1 must be upgraded to %d", SchemaVersion)) {
		t.Fatalf("read-only open of a schema 1 store: %v", err)
	}
	db, err = Open(t.Context(), path, Options{Keyring: kr})
	if err != nil {
		t.Fatalf("opening the schema 1 store: %v", err)
	}
	defer db.Close()
	err = db.View(t.Context(), func(tx *Tx) error {
		if v, err := readSchema(tx.btx); v != SchemaVersion || err != nil {
			t.Errorf("schema %d after the upgrade (%v)", v, err)
		}
		if tx.bucket(BucketStaged) == nil || tx.bucket(BucketStats) == nil {
			t.Error("no staged or stats bucket after the upgrade")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if after := viewRows(t, db); !sameRows(before, after) || len(after) != 3000 {
		t.Fatalf("%d rows after the upgrade, %d before, or they differ", len(after), len(before))
	}
	if rep, err := db.Verify(t.Context(), nil); err != nil || !rep.OK() {
		t.Fatalf("audit verify after the upgrade: %v %v", err, rep.Problem)
	}
	var c ClinicalBatch
	c.Add(&ClinicalKey{Study: "S", Subject: "0001", Item: "A"}, &ClinicalValue{Value: "later", AuditID: "6", Source: "audit"})
	err = db.Update(t.Context(), func(tx *Tx) error { _, err := tx.StageClinical("S", NewClinicalRun([]*ClinicalBatch{&c})); return err })
	if err != nil {
		t.Fatal(err)
	}
	m := NewClinicalMerge("S")
	for txs := 0; !m.Done(); txs++ {
		if err := db.Update(t.Context(), func(tx *Tx) error { return tx.MergeStaged(m, 0, 0) }); err != nil || txs > 2 {
			t.Fatalf("merge after the upgrade: done=%v after %d transactions: %v", m.Done(), txs+1, err)
		}
	}
	if runs, rows, written := m.Counts(); runs != 1 || rows != 1 || written != 1 {
		t.Fatalf("merge counts: %d runs, %d rows, %d written", runs, rows, written)
	}
}
