package store_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/store/storetest"
)

// subject stands for an engine's own record type: the store never sees inside it.
type subject struct {
	Site  string `json:"site"`
	Arm   string `json:"arm"`
	State string `json:"state"`
}

func TestTableGetPutDeleteWalk(t *testing.T) {
	db := storetest.Open(t, store.Options{})
	rows := []struct {
		study, id string
		v         subject
	}{
		{"S1", "101-002", subject{"101", "A", "pushed"}},
		{"S1", "101-001", subject{"101", "B", "new"}},
		{"S10", "201-001", subject{"201", "A", "new"}}, // shares S1's leading bytes, not its part
		{"S2", "301-001", subject{"301", "B", "new"}},
	}
	err := db.Update(t.Context(), func(tx *store.Tx) error {
		subjects := store.Subjects[subject](tx)
		for _, r := range rows {
			if err := subjects.Put(store.SubjectKey(r.study, r.id), r.v); err != nil {
				return err
			}
		}
		return subjects.Delete(store.SubjectKey("S2", "301-001"))
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(t.Context(), func(tx *store.Tx) error {
		subjects := store.Subjects[subject](tx)
		if v, ok, err := subjects.Get(store.SubjectKey("S1", "101-002")); err != nil || !ok || v != rows[0].v {
			t.Errorf("Get = %+v %v %v", v, ok, err)
		}
		if _, ok, err := subjects.Get(store.SubjectKey("S2", "301-001")); ok || err != nil {
			t.Errorf("deleted record: %v %v", ok, err)
		}
		var got []string
		err := subjects.Walk(store.NewKey("S1"), func(k store.Key, v subject) error {
			got = append(got, k.String()+"="+v.Arm)
			return nil
		})
		if want := []string{"S1/101-001=B", "S1/101-002=A"}; err != nil || !slices.Equal(got, want) {
			t.Errorf("Walk(S1) = %v %v, want %v (in key order, without S10)", got, err, want)
		}
		got = nil
		err = subjects.Walk(nil, func(k store.Key, _ subject) error {
			got = append(got, k.String())
			return store.StopWalk
		})
		if err != nil || len(got) != 1 {
			t.Errorf("Walk stopped: %v %v", got, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestWritesNeedAnUpdate: a table read in a View cannot be written; the error comes back, not a panic.
func TestWritesNeedAnUpdate(t *testing.T) {
	db := storetest.Open(t, store.Options{})
	err := db.View(t.Context(), func(tx *store.Tx) error {
		return store.Baselines[subject](tx).Put(store.BaselineKey("edc-ctms", "101", "status"), subject{})
	})
	if err == nil {
		t.Fatal("Put in a View succeeded")
	}
}

type message struct {
	ID    uint64 `json:"id"`
	Body  string `json:"body"`
	State string `json:"state"`
}

func TestSeqTable(t *testing.T) {
	db := storetest.Open(t, store.Options{})
	err := db.Update(t.Context(), func(tx *store.Tx) error {
		out := store.Outbox[message](tx)
		for _, body := range []string{"a", "b", "c"} {
			if _, err := out.Add(message{Body: body, State: "pending"}); err != nil {
				return err
			}
		}
		id, err := out.NextID() // a record that holds its own ID
		if err != nil {
			return err
		}
		return out.Put(id, message{ID: id, Body: "d", State: "pending"})
	})
	if err != nil {
		t.Fatal(err)
	}
	// A failed transaction's numbers are drawn again: numbers are unique among committed records.
	db.Update(t.Context(), func(tx *store.Tx) error {
		store.Outbox[message](tx).Add(message{Body: "lost"})
		return errors.New("rolled back")
	})
	var ids []uint64
	var bodies string
	err = db.Update(t.Context(), func(tx *store.Tx) error {
		out := store.Outbox[message](tx)
		id, err := out.Add(message{Body: "e"})
		if err != nil || id != 5 {
			t.Errorf("next id after a rollback = %d %v, want 5", id, err)
		}
		if err := out.Delete(2); err != nil {
			return err
		}
		return out.Walk(1, func(id uint64, m message) error {
			ids = append(ids, id)
			bodies += m.Body
			return nil
		})
	})
	if err != nil || !slices.Equal(ids, []uint64{3, 4, 5}) || bodies != "cde" {
		t.Fatalf("Walk(after 1) = %v %q %v", ids, bodies, err)
	}
	err = db.View(t.Context(), func(tx *store.Tx) error {
		m, ok, err := store.Outbox[message](tx).Get(4)
		if err != nil || !ok || m.ID != 4 || m.Body != "d" {
			t.Errorf("Get(4) = %+v %v %v", m, ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

type baseline struct {
	Status string `json:"status"`
}

type conflict struct {
	ID       uint64   `json:"id"`
	EDC      string   `json:"edc"`
	CTMS     string   `json:"ctms"`
	Baseline baseline `json:"baseline"`
}

// TestReadDecideWriteInOneTransaction is reconciliation's shape: read a baseline, write a conflict and
// its audit entry in one transaction, so that a failure anywhere leaves none of them.
func TestReadDecideWriteInOneTransaction(t *testing.T) {
	db := storetest.Open(t, store.Options{})
	bk := store.BaselineKey("edc-ctms", "101", "IRB_APPROVAL")
	ck := store.ConflictKey("101", "IRB_APPROVAL")
	err := db.Update(t.Context(), func(tx *store.Tx) error {
		return store.Baselines[baseline](tx).Put(bk, baseline{Status: "in_review"})
	})
	if err != nil {
		t.Fatal(err)
	}
	reconcile := func(fail error) error {
		return db.Update(t.Context(), func(tx *store.Tx) error {
			b, ok, err := store.Baselines[baseline](tx).Get(bk)
			if err != nil || !ok {
				return errors.Join(err, errors.New("no baseline"))
			}
			conflicts := store.Conflicts[conflict](tx)
			id, err := conflicts.NextSequence()
			if err != nil {
				return err
			}
			if err := conflicts.Put(ck, conflict{ID: id, EDC: "complete", CTMS: "rejected", Baseline: b}); err != nil {
				return err
			}
			if _, err := tx.Append(store.Entry{Action: store.ActionChecklistConflict, Object: ck.String()}); err != nil {
				return err
			}
			return fail
		})
	}
	entries := func() int {
		es, _ := db.Entries(t.Context(), 0, 100)
		return len(es)
	}
	if err := reconcile(errors.New("crash before commit")); err == nil {
		t.Fatal("failed reconciliation committed")
	}
	if n := entries(); n != 1 {
		t.Fatalf("%d entries after a failed reconciliation", n)
	}
	if err := reconcile(nil); err != nil {
		t.Fatal(err)
	}
	err = db.View(t.Context(), func(tx *store.Tx) error {
		c, ok, err := store.Conflicts[conflict](tx).Get(ck)
		if err != nil || !ok || c.Baseline.Status != "in_review" || c.ID != 1 {
			t.Errorf("conflict %+v %v %v", c, ok, err)
		}
		return nil
	})
	if err != nil || entries() != 2 {
		t.Fatalf("%v, %d entries", err, entries())
	}
}

// TestExposuresAndCursorsKeys: the exposure key layout selects one subject's lines; a cursor can be
// walked per study and reset.
func TestExposuresAndCursorsKeys(t *testing.T) {
	db := storetest.Open(t, store.Options{})
	err := db.Update(t.Context(), func(tx *store.Tx) error {
		ex := store.Exposures[subject](tx)
		for _, k := range []store.Key{
			store.ExposureKey("ALPHA", "101-001", "EX_INH", "2026-01-02"),
			store.ExposureKey("ALPHA", "101-001", "EX_INH", "2026-01-01"),
			store.ExposureKey("ALPHA", "101-0010", "EX_INH", "2026-01-01"),
		} {
			if err := ex.Put(k, subject{State: k.String()}); err != nil {
				return err
			}
		}
		var got []string
		ex.Walk(store.NewKey("ALPHA", "101-001"), func(k store.Key, v subject) error {
			got = append(got, k.Parts()[3])
			return nil
		})
		if !slices.Equal(got, []string{"2026-01-01", "2026-01-02"}) {
			t.Errorf("one subject's lines: %v", got)
		}
		for _, feed := range []string{"audit", "dataset"} {
			if err := tx.PutCursor("ALPHA", "", feed, store.Cursor{Next: feed}); err != nil {
				return err
			}
		}
		if err := tx.PutCursor("BETA", "", "audit", store.Cursor{}); err != nil {
			return err
		}
		var feeds []string
		tx.WalkCursors("ALPHA", func(site, feed string, c store.Cursor) error {
			feeds = append(feeds, feed+":"+c.Next)
			return nil
		})
		if !slices.Equal(feeds, []string{"audit:audit", "dataset:dataset"}) {
			t.Errorf("ALPHA's cursors: %v", feeds)
		}
		old, ok, err := tx.DeleteCursor("ALPHA", "", "audit")
		if err != nil || !ok || old.Next != "audit" {
			t.Errorf("DeleteCursor = %+v %v %v", old, ok, err)
		}
		if _, ok, _ := tx.Cursor("ALPHA", "", "audit"); ok {
			t.Error("cursor still there after reset")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestUndecodableRecordIsAnError: a record this build cannot read (another version byte) is reported
// with where it is, never silently skipped or zeroed.
func TestUndecodableRecordIsAnError(t *testing.T) {
	db := storetest.Open(t, store.Options{})
	k := store.SubjectKey("S", "1")
	err := db.Update(t.Context(), func(tx *store.Tx) error {
		return store.Subjects[string](tx).Put(k, "a string where a record belongs")
	})
	if err != nil {
		t.Fatal(err)
	}
	db.View(t.Context(), func(tx *store.Tx) error {
		_, _, err := store.Subjects[subject](tx).Get(k)
		if err == nil || !strings.Contains(err.Error(), "subjects S/1") {
			t.Errorf("Get of a foreign record: %v", err)
		}
		return nil
	})
}

// TestKeyOrderProperty: for any parts (including 0x00 and 0x01 bytes), a key splits back into its
// parts, and keys sort exactly as their part lists do, compared part by part.
func TestKeyOrderProperty(t *testing.T) {
	part := rapid.Map(rapid.SliceOfN(rapid.ByteRange(0, 3), 0, 4), func(b []byte) string { return string(b) }) // few distinct bytes: many ties and prefixes
	parts := rapid.SliceOfN(part, 1, 4)
	rapid.Check(t, func(t *rapid.T) {
		a, b := parts.Draw(t, "a"), parts.Draw(t, "b")
		ka, kb := store.NewKey(a...), store.NewKey(b...)
		if got := ka.Parts(); !slices.Equal(got, a) {
			t.Fatalf("Parts(NewKey(%q)) = %q", a, got)
		}
		if got, want := bytes.Compare(ka, kb), slices.Compare(a, b); got != want {
			t.Fatalf("key order %d, part order %d for %q and %q", got, want, a, b)
		}
	})
}

func TestKeyCompatibleWithStoredCursors(t *testing.T) {
	// Keys written before the typed tables joined plain parts with 0x00: the same bytes must come out.
	if got := store.NewKey("ALPHA(Prod)", "", "audit"); string(got) != "ALPHA(Prod)\x00\x00audit" {
		t.Fatalf("NewKey = %q", got)
	}
	if n, ok := store.SeqKey(258).Seq(); !ok || n != 258 || string(store.SeqKey(258)) != "\x00\x00\x00\x00\x00\x00\x01\x02" {
		t.Fatalf("SeqKey(258) = %q", store.SeqKey(258))
	}
}
