package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestClinicalUpsert(t *testing.T) {
	db, _ := mustOpen(t)
	k := ClinicalKey{"ALPHA(Prod)", "101", "101-001", "SCREEN", "1", "VS", "1", "VS_LOG_LINE", "1", "VS.SYSBP"}
	steps := []struct {
		name    string
		v       ClinicalValue
		changed bool
		want    string // stored value afterwards
		wantID  string
	}{
		{"first", ClinicalValue{Value: "120", AuditID: "100", Source: "audit", RunID: "r1"}, true, "120", "100"},
		{"same again from another run", ClinicalValue{Value: "120", AuditID: "100", Source: "audit", RunID: "r2"}, false, "120", "100"},
		{"later audit record", ClinicalValue{Value: "125", AuditID: "200", Source: "audit", RunID: "r2"}, true, "125", "200"},
		{"stale audit record", ClinicalValue{Value: "120", AuditID: "100", Source: "audit", RunID: "r3"}, false, "125", "200"},
		{"dataset agrees", ClinicalValue{Value: "125", Source: "dataset", RunID: "r3"}, false, "125", "200"},
		{"dataset differs", ClinicalValue{Value: "130", Source: "dataset", RunID: "r3"}, true, "130", ""},
		{"null", ClinicalValue{Value: "", IsNull: true, AuditID: "300", RunID: "r4"}, true, "", "300"},
	}
	for _, s := range steps {
		var changed bool
		err := db.Update(t.Context(), func(tx *Tx) error {
			var err error
			changed, err = tx.Clinical().Upsert(&k, &s.v)
			return err
		})
		if err != nil || changed != s.changed {
			t.Fatalf("%s: changed=%v err=%v, want changed=%v", s.name, changed, err, s.changed)
		}
		var got []ClinicalValue
		db.WalkClinical(t.Context(), func(gk ClinicalKey, v ClinicalValue) error {
			if gk != k {
				t.Errorf("key round trip: %+v", gk)
			}
			got = append(got, v)
			return nil
		})
		if len(got) != 1 || got[0].Value != s.want || got[0].AuditID != s.wantID {
			t.Fatalf("%s: stored %+v", s.name, got)
		}
	}
}

// TestClinicalManyInOneTransaction guards the rule that bbolt keeps put buffers until commit.
func TestClinicalManyInOneTransaction(t *testing.T) {
	db, _ := mustOpen(t)
	const n = 5000
	err := db.Update(t.Context(), func(tx *Tx) error {
		w := tx.Clinical()
		for i := range n {
			k := ClinicalKey{Study: "S", Subject: fmt.Sprintf("%05d", i), Item: "IT"}
			if _, err := w.Upsert(&k, &ClinicalValue{Value: fmt.Sprintf("v%d", i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	db.WalkClinical(t.Context(), func(k ClinicalKey, v ClinicalValue) error {
		if k.Subject != fmt.Sprintf("%05d", i) || v.Value != fmt.Sprintf("v%d", i) {
			t.Fatalf("row %d: %+v %+v", i, k, v)
		}
		i++
		return nil
	})
	if i != n {
		t.Fatalf("%d rows", i)
	}
}

func TestClinicalKeyOrder(t *testing.T) {
	a := ClinicalKey{Study: "S", Site: "1", Subject: "A"}
	b := ClinicalKey{Study: "S", Site: "1", Subject: "AB"}
	c := ClinicalKey{Study: "S", Site: "10", Subject: "A"}
	ka, kb, kc := a.AppendKey(nil), b.AppendKey(nil), c.AppendKey(nil)
	if !(bytes.Compare(ka, kb) < 0 && bytes.Compare(kb, kc) < 0) {
		t.Fatal("key bytes do not sort as the tuple (site, subject, ...)")
	}
}

func TestCursorAndQuarantine(t *testing.T) {
	db, _ := mustOpen(t)
	err := db.Update(t.Context(), func(tx *Tx) error {
		if _, ok, err := tx.Cursor("S", "101", "audit"); ok || err != nil {
			t.Fatalf("fresh cursor: %v %v", ok, err)
		}
		if err := tx.PutCursor("S", "101", "audit", Cursor{Next: "https://x/RaveWebServices/...&startid=5000", Pages: 3}); err != nil {
			return err
		}
		_, err := tx.Quarantine(Quarantined{Source: "S/audit", Reason: "ItemData without ItemOID", Fragment: "<SubjectData SubjectKey=\"1\">\n<x/></SubjectData>"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	db.View(t.Context(), func(tx *Tx) error {
		c, ok, err := tx.Cursor("S", "101", "audit")
		if !ok || err != nil || c.Pages != 3 || c.Next == "" {
			t.Fatalf("cursor %+v %v %v", c, ok, err)
		}
		return nil
	})
	qs, err := db.QuarantineList(t.Context(), false)
	if err != nil || len(qs) != 1 || qs[0].ID != 1 || qs[0].Fragment != "<SubjectData SubjectKey=\"1\">\n<x/></SubjectData>" {
		t.Fatalf("list %+v %v", qs, err)
	}
	err = db.Update(t.Context(), func(tx *Tx) error { _, err := tx.ResolveQuarantine(1, "crc", "re-entered in Rave"); return err })
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(t.Context(), func(tx *Tx) error { _, err := tx.ResolveQuarantine(1, "crc", "again"); return err })
	if err == nil {
		t.Fatal("resolved twice")
	}
	err = db.Update(t.Context(), func(tx *Tx) error { _, err := tx.ResolveQuarantine(9, "crc", "x"); return err })
	if !errors.Is(err, ErrNoSuchQuarantine) {
		t.Fatalf("unknown id: %v", err)
	}
	if qs, _ := db.QuarantineList(t.Context(), false); len(qs) != 0 {
		t.Fatalf("resolved item still listed: %+v", qs)
	}
	if qs, _ := db.QuarantineList(t.Context(), true); len(qs) != 1 || qs[0].ResolvedBy != "crc" {
		t.Fatalf("with resolved: %+v", qs)
	}
}

// BenchmarkClinicalWrite measures upserts of sorted rows, 10,000 per transaction, into a growing bucket.
func BenchmarkClinicalWrite(b *testing.B) {
	db, _ := mustOpen(b)
	var batch ClinicalBatch
	n := 0
	b.ResetTimer()
	for n < b.N {
		batch.Reset()
		for range min(10_000, b.N-n) {
			k := ClinicalKey{Study: "ALPHA(Prod)", Site: "101", Subject: fmt.Sprintf("101-%06d", n/40), Event: "SCREEN", EventRepeat: "1",
				Form: "VS", FormRepeat: "1", ItemGroup: "VS", ItemGroupRepeat: "1", Item: fmt.Sprintf("VS.ITEM%02d", n%40)}
			batch.Add(&k, &ClinicalValue{Value: "120", AuditID: fmt.Sprint(n), User: "crc.jones", Time: "2024-11-03T09:12:44", Source: "dataset", RunID: "r"})
			n++
		}
		if err := db.Update(context.Background(), func(tx *Tx) error { _, err := tx.Clinical().Write(&batch); return err }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// TestTrimResidentKeepsData: dropping the mapped pages loses nothing; reads fault them back.
func TestTrimResidentKeepsData(t *testing.T) {
	db, _ := mustOpen(t)
	var b ClinicalBatch
	for i := range 20_000 {
		b.Add(&ClinicalKey{Study: "S", Subject: fmt.Sprintf("%06d", i), Item: "I"}, &ClinicalValue{Value: fmt.Sprint(i)})
	}
	if err := db.Update(t.Context(), func(tx *Tx) error { _, err := tx.Clinical().Write(&b); return err }); err != nil {
		t.Fatal(err)
	}
	before := 0
	db.WalkClinical(t.Context(), func(ClinicalKey, ClinicalValue) error { before++; return nil })
	if err := db.TrimResident(); err != nil {
		t.Fatal(err)
	}
	i := 0
	err := db.WalkClinical(t.Context(), func(k ClinicalKey, v ClinicalValue) error {
		if v.Value != fmt.Sprint(i) {
			t.Fatalf("row %d after trim: %+v", i, v)
		}
		i++
		return nil
	})
	if err != nil || i != before || i != 20_000 {
		t.Fatalf("%d rows after trim, %d before: %v", i, before, err)
	}
}

// TestBulkCommitThenCrash: a bulk commit skips writing bbolt's free list; a copy of the file taken right
// after it (a crash before the next ordinary commit) opens, passes the consistency check and holds the rows.
func TestBulkCommitThenCrash(t *testing.T) {
	db, kr := mustOpen(t)
	var b ClinicalBatch
	for i := range 5000 {
		b.Add(&ClinicalKey{Study: "S", Subject: fmt.Sprintf("%05d", i), Item: "I"}, &ClinicalValue{Value: "v"})
	}
	err := db.Update(t.Context(), func(tx *Tx) error {
		tx.Bulk()
		_, err := tx.Clinical().Write(&b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	crashed := filepath.Join(t.TempDir(), "crashed.db")
	os.WriteFile(crashed, raw, 0o600)
	c, err := Open(t.Context(), crashed, Options{Keyring: kr})
	if err != nil {
		t.Fatalf("open after a bulk commit: %v", err)
	}
	defer c.Close()
	if !c.Unclean() {
		t.Fatal("the copy should look like an unclean shutdown (and so be checked)")
	}
	n := 0
	c.WalkClinical(t.Context(), func(ClinicalKey, ClinicalValue) error { n++; return nil })
	if n != 5000 {
		t.Fatalf("%d rows after the crash copy", n)
	}
}

// TestClinicalRunAcrossTransactions: a run written under a small page budget takes several
// transactions and leaves the bucket byte-for-byte as one transaction does, with the same per-batch
// write counts; a repeated key keeps the later batch's value.
func TestClinicalRunAcrossTransactions(t *testing.T) {
	batches := func() []*ClinicalBatch {
		var bs []*ClinicalBatch
		for page := range 4 {
			b := &ClinicalBatch{}
			b.Reserve(2000, 2000*120)
			for i := range 2000 {
				// Subjects interleaved, as an audit feed sends them: every page touches every subject.
				k := ClinicalKey{Study: "S", Site: "101", Subject: fmt.Sprintf("101-%03d", i%200), Event: "V", EventRepeat: fmt.Sprint(page*10 + i/200), Item: "IT"}
				b.Add(&k, &ClinicalValue{Value: fmt.Sprintf("p%d-%d", page, i), AuditID: fmt.Sprint(page*2000 + i + 1), Source: "audit", RunID: "r"})
			}
			if page == 3 { // the same key as page 0's first row, later
				b.Add(&ClinicalKey{Study: "S", Site: "101", Subject: "101-000", Event: "V", EventRepeat: "0", Item: "IT"},
					&ClinicalValue{Value: "later", AuditID: "99999", Source: "audit", RunID: "r"})
			}
			bs = append(bs, b)
		}
		return bs
	}
	seed := func(db *DB) { // a store that already holds rows, so the run's rows land between them
		var b ClinicalBatch
		for i := range 200 {
			for r := range 40 {
				b.Add(&ClinicalKey{Study: "S", Site: "101", Subject: fmt.Sprintf("101-%03d", i), Event: "V", EventRepeat: fmt.Sprint(r) + "x", Item: "IT"},
					&ClinicalValue{Value: "old", Source: "dataset", RunID: "r0"})
			}
		}
		if err := db.Update(t.Context(), func(tx *Tx) error { _, err := tx.Clinical().Write(&b); return err }); err != nil {
			t.Fatal(err)
		}
	}
	one, _ := mustOpen(t)
	seed(one)
	whole := NewClinicalRun(batches())
	if err := one.Update(t.Context(), func(tx *Tx) error { return tx.Clinical().WriteRun(whole, 0) }); err != nil || !whole.Done() {
		t.Fatalf("one transaction: done=%v %v", whole.Done(), err)
	}
	many, _ := mustOpen(t)
	seed(many)
	run := NewClinicalRun(batches())
	txs := 0
	for !run.Done() {
		txs++
		if err := many.Update(t.Context(), func(tx *Tx) error { return tx.Clinical().WriteRun(run, 20) }); err != nil {
			t.Fatal(err)
		}
		if txs > 1000 {
			t.Fatal("the run makes no progress")
		}
	}
	if txs < 3 {
		t.Fatalf("%d transactions under a budget of 20 pages: the budget was not applied", txs)
	}
	if !slices.Equal(run.Written(), whole.Written()) || run.Written()[0] != 2000 || run.Written()[3] != 2001 {
		t.Fatalf("written per batch: %v in %d transactions, %v in one", run.Written(), txs, whole.Written())
	}
	if a, b := clinicalBytes(t, one), clinicalBytes(t, many); !bytes.Equal(a, b) {
		t.Fatal("the bucket differs between one transaction and several")
	}
	var got string
	many.WalkClinical(t.Context(), func(k ClinicalKey, v ClinicalValue) error {
		if k.Subject == "101-000" && k.EventRepeat == "0" {
			got = v.Value
		}
		return nil
	})
	if got != "later" {
		t.Fatalf("repeated key holds %q, want the later batch's value", got)
	}
}

func clinicalBytes(t *testing.T, db *DB) []byte {
	t.Helper()
	var b bytes.Buffer
	db.View(t.Context(), func(tx *Tx) error {
		return tx.Bucket(BucketClinical).ForEach(func(k, v []byte) error {
			b.Write(k)
			b.WriteByte(0xff)
			b.Write(v)
			b.WriteByte(0xfe)
			return nil
		})
	})
	return b.Bytes()
}

// TestClinicalBatchReserve: a batch reserved from a similar one's size holds its rows in one arena.
func TestClinicalBatchReserve(t *testing.T) {
	var a ClinicalBatch
	for i := range 1000 {
		a.Add(&ClinicalKey{Study: "S", Subject: fmt.Sprint(i), Item: "I"}, &ClinicalValue{Value: "v"})
	}
	var b ClinicalBatch
	b.Reserve(a.Len(), a.Size())
	first := cap(b.arena)
	for i := range 1000 {
		b.Add(&ClinicalKey{Study: "S", Subject: fmt.Sprint(i), Item: "I"}, &ClinicalValue{Value: "v"})
	}
	if b.Size() != a.Size() || cap(b.arena) != first || first < a.Size() {
		t.Fatalf("size %d (want %d), arena %d then %d: the rows did not fit the reserved arena", b.Size(), a.Size(), first, cap(b.arena))
	}
}

// TestClinicalBatchRecycle: a recycled batch takes rows like the one it was into the memory it
// already has, allocating nothing, and holds exactly the new rows.
func TestClinicalBatchRecycle(t *testing.T) {
	keys := make([]ClinicalKey, 2000)
	first, later := make([]ClinicalValue, 2000), make([]ClinicalValue, 2000)
	for i := range keys {
		keys[i] = ClinicalKey{Study: "S", Subject: fmt.Sprintf("%04d", i), Item: "I"}
		first[i], later[i] = ClinicalValue{Value: "first " + fmt.Sprint(i)}, ClinicalValue{Value: "later " + fmt.Sprint(i)}
	}
	fill := func(b *ClinicalBatch, vals []ClinicalValue) {
		for i := range keys {
			b.Add(&keys[i], &vals[i])
		}
	}
	var b ClinicalBatch
	fill(&b, first)
	if r := NewClinicalRun([]*ClinicalBatch{&b}); len(r.recs) != 2000 || b.Len() != 0 {
		t.Fatalf("run of %d rows, batch left with %d", len(r.recs), b.Len())
	}
	if allocs := testing.AllocsPerRun(1, func() { b.Recycle(); fill(&b, later) }); allocs != 0 {
		t.Fatalf("refilling a recycled batch made %.0f allocations", allocs)
	}
	if b.Len() != 2000 {
		t.Fatalf("%d rows after the refill", b.Len())
	}
	r := NewClinicalRun([]*ClinicalBatch{&b})
	for i, rec := range r.recs {
		v, err := decodeClinicalValue(rec.val)
		if err != nil || v.Value != "later "+fmt.Sprint(i) {
			t.Fatalf("row %d after the refill: %q %v", i, v.Value, err)
		}
	}
}
