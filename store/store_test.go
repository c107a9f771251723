package store_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/store/storetest"
)

func appendN(t testing.TB, db *store.DB, n int) {
	t.Helper()
	for i := range n {
		err := db.Update(t.Context(), func(tx *store.Tx) error {
			_, err := tx.Append(store.Entry{Actor: "tester", Action: "test.append", Object: fmt.Sprintf("obj-%d", i), Reason: "because"})
			return err
		})
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
}

// every bucket of ARCHITECTURE.md's table.
var allBuckets = [][]byte{store.BucketMeta, store.BucketCursors, store.BucketClinical, store.BucketQuarantine, store.BucketSubjects,
	store.BucketExposures, store.BucketOutbox, store.BucketBaselines, store.BucketConflicts, store.BucketAudit, store.BucketStats, store.BucketStaged}

func TestCreateHasEveryBucketAndFirstEntry(t *testing.T) {
	db := storetest.Open(t, store.Options{})
	err := db.View(t.Context(), func(tx *store.Tx) error {
		for _, b := range allBuckets {
			if err := tx.ForEach(b, func(k, v []byte) error { return nil }); err != nil {
				t.Errorf("bucket %s: %v", b, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	es, err := db.Entries(t.Context(), 0, 10)
	if err != nil || len(es) != 1 || es[0].Action != store.ActionStoreCreated || es[0].Seq != 1 || es[0].Actor != store.ActorAgent {
		t.Fatalf("entries = %+v, %v", es, err)
	}
	fi, err := os.Stat(db.Path())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, %v; want 0600", fi.Mode(), err)
	}
	leftovers, _ := filepath.Glob(db.Path() + ".creating-*")
	if len(leftovers) != 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
}

func TestSecondOpenIsLocked(t *testing.T) {
	kr := storetest.NewKeyring(t)
	db := storetest.Open(t, store.Options{Keyring: kr})
	for _, readOnly := range []bool{false, true} {
		start := time.Now()
		_, err := store.Open(t.Context(), db.Path(), store.Options{Keyring: kr, LockTimeout: 200 * time.Millisecond, ReadOnly: readOnly})
		if !errors.Is(err, store.ErrLocked) {
			t.Fatalf("second store.Open (read-only %v): %v, want store.ErrLocked", readOnly, err)
		}
		if !strings.Contains(err.Error(), "is in use by another trialsync") {
			t.Fatalf("message %q", err)
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("second store.Open hung")
		}
	}
}

func TestAppendAndVerifyAcrossReopen(t *testing.T) {
	kr := storetest.NewKeyring(t)
	db := storetest.Open(t, store.Options{Keyring: kr})
	appendN(t, db, 50)
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2 := storetest.OpenAt(t, path, store.Options{Keyring: kr})
	if db2.Unclean() {
		t.Error("clean close reported as unclean")
	}
	rep, err := db2.Verify(t.Context(), nil)
	if err != nil || !rep.OK() || rep.Entries != 51 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	es, _ := db2.Entries(t.Context(), 0, 100)
	for i, e := range es {
		if e.Seq != uint64(i+1) {
			t.Fatalf("entry %d has seq %d", i, e.Seq)
		}
		if i > 0 && e.Prev != es[i-1].Hash {
			t.Fatalf("entry %d not linked", e.Seq)
		}
	}
	if got := rep.Tip; got != es[len(es)-1].Hash {
		t.Fatalf("tip %x", got)
	}
}

func TestUpdateIsAllOrNothing(t *testing.T) {
	db := storetest.Open(t, store.Options{})
	boom := errors.New("boom")
	err := db.Update(t.Context(), func(tx *store.Tx) error {
		if err := tx.PutCursor("S", "", "audit", store.Cursor{Next: "x"}); err != nil {
			return err
		}
		if _, err := tx.Append(store.Entry{Action: "x"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update: %v", err)
	}
	if _, ok, err := db.Cursor(t.Context(), "S", "", "audit"); ok || err != nil {
		t.Errorf("state change survived a failed transaction (%v)", err)
	}
	if es, _ := db.Entries(t.Context(), 0, 10); len(es) != 1 {
		t.Fatalf("audit entries = %d, want only store.created", len(es))
	}
}

// TestEntriesTakeRunAndActorFromTheTransaction: an entry that leaves RunID and Actor empty gets the
// store's run ID and the transaction's actor: the agent in Update, the person in UpdateAs; an entry
// that names its own keeps it.
func TestEntriesTakeRunAndActorFromTheTransaction(t *testing.T) {
	db := storetest.Open(t, store.Options{RunID: "run-42"})
	appendOne := func(update func(fn func(*store.Tx) error) error, e store.Entry) store.Entry {
		t.Helper()
		var out store.Entry
		err := update(func(tx *store.Tx) (err error) { out, err = tx.Append(e); return err })
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	asAgent := func(fn func(*store.Tx) error) error { return db.Update(t.Context(), fn) }
	asPerson := func(fn func(*store.Tx) error) error { return db.UpdateAs(t.Context(), "crc.jones", fn) }
	cases := []struct {
		name       string
		update     func(fn func(*store.Tx) error) error
		entry      store.Entry
		run, actor string
	}{
		{"agent", asAgent, store.Entry{Action: store.ActionPullPage}, "run-42", store.ActorAgent},
		{"person", asPerson, store.Entry{Action: store.ActionQuarantineResolve}, "run-42", "crc.jones"},
		{"entry names its own", asPerson, store.Entry{Action: store.ActionTokenRotated, Actor: store.ActorAgent, RunID: "other"}, "other", store.ActorAgent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := appendOne(tc.update, tc.entry)
			if got.RunID != tc.run || got.Actor != tc.actor {
				t.Fatalf("run %q actor %q, want %q %q", got.RunID, got.Actor, tc.run, tc.actor)
			}
			es, _ := db.Entries(t.Context(), got.Seq-1, 1)
			if len(es) != 1 || es[0].RunID != tc.run || es[0].Actor != tc.actor {
				t.Fatalf("stored %+v", es)
			}
		})
	}
}

func TestRefusedFilesStayUntouched(t *testing.T) {
	kr := storetest.NewKeyring(t)
	newer := func(t *testing.T, path string) {
		db, err := store.Open(t.Context(), path, store.Options{Keyring: kr})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		if err := storetest.SetSchema(path, store.SchemaVersion+1); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name    string
		prepare func(t *testing.T, path string)
		want    error
		text    string
	}{
		{"not bbolt", func(t *testing.T, p string) { os.WriteFile(p, bytes.Repeat([]byte("not a database\n"), 400), 0o600) }, store.ErrNotStore, "not a trialsync store"},
		{"empty file", func(t *testing.T, p string) { os.WriteFile(p, nil, 0o600) }, store.ErrNotStore, "empty file"},
		{"newer schema", newer, store.ErrNewerSchema, "upgrade trialsync"},
		{"cut in the middle of a page", truncated(0.5, false), store.ErrDamaged, "truncated"},
		{"cut at a page boundary", truncated(0.25, true), store.ErrDamaged, "truncated"},
	}
	for _, tc := range cases {
		for _, readOnly := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/read-only=%v", tc.name, readOnly), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "s.db")
				tc.prepare(t, path)
				before, _ := os.ReadFile(path)
				fi0, _ := os.Stat(path)
				_, err := store.Open(t.Context(), path, store.Options{Keyring: kr, ReadOnly: readOnly})
				if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
					t.Fatalf("Open: %v, want %v containing %q", err, tc.want, tc.text)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("multi-line error %q", err)
				}
				after, _ := os.ReadFile(path)
				fi1, _ := os.Stat(path)
				if sha256.Sum256(before) != sha256.Sum256(after) || !fi0.ModTime().Equal(fi1.ModTime()) {
					t.Fatal("refused file was modified")
				}
			})
		}
	}
}

// truncated makes a store with a few hundred pages of clinical data and cuts it to frac of its data, as
// a full disk, a failed copy or a hostile hand would leave it. The header still says how long the file
// was, so bbolt would map pages past its end and die of a SIGBUS reading them.
func truncated(frac float64, aligned bool) func(t *testing.T, path string) {
	return func(t *testing.T, path string) {
		db, err := store.Open(t.Context(), path, store.Options{Keyring: storetest.NewKeyring(t)})
		if err != nil {
			t.Fatal(err)
		}
		fillClinical(t, db, 20_000)
		db.Close()
		if err := storetest.Truncate(path, frac, aligned); err != nil {
			t.Fatal(err)
		}
	}
}

func fillClinical(t testing.TB, db *store.DB, n int) {
	t.Helper()
	err := db.Update(t.Context(), func(tx *store.Tx) error {
		var b store.ClinicalBatch
		for i := range n {
			b.Add(&store.ClinicalKey{Study: "S", Subject: fmt.Sprintf("%06d", i), Item: "I"}, &store.ClinicalValue{Value: "value " + fmt.Sprint(i)})
		}
		_, err := tx.Clinical().Write(&b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// leafPage returns the offset of the nth B-tree leaf page (from 1) of a store file with 4 KiB pages.
func leafPage(t *testing.T, raw []byte, nth int) int {
	t.Helper()
	const pageSize, leafFlag = 4096, 0x02
	leaves := 0
	for off := 2 * pageSize; off+pageSize <= len(raw); off += pageSize {
		if binary.LittleEndian.Uint16(raw[off+8:]) == leafFlag {
			if leaves++; leaves == nth {
				return off
			}
		}
	}
	t.Fatalf("only %d leaf pages", leaves)
	return 0
}

func TestUncleanShutdownRunsCheck(t *testing.T) {
	cases := []struct {
		name    string
		damage  func(t *testing.T, path string)
		refused bool
	}{
		{"consistent file", func(*testing.T, string) {}, false},
		{"a leaf page torn", func(t *testing.T, path string) {
			// Overwrite one B-tree leaf page, header and all, as a torn write would: the file still
			// opens (meta and free list are intact), and only the consistency check can tell.
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			off := leafPage(t, raw, 3)
			copy(raw[off:off+4096], bytes.Repeat([]byte{0xA5}, 4096))
			os.WriteFile(path, raw, 0o600)
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db, kr := storetest.OpenToDamage(t)
			path := db.Path()
			fillClinical(t, db, 3000)
			db.Close()
			if err := storetest.MarkUnclean(path); err != nil {
				t.Fatal(err)
			}
			tc.damage(t, path)
			db2, err := store.Open(t.Context(), path, store.Options{Keyring: kr})
			if tc.refused {
				if !errors.Is(err, store.ErrDamaged) || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "restore it from a backup") {
					t.Fatalf("Open of a damaged file after an unclean shutdown: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer db2.Close()
			if !db2.Unclean() {
				t.Fatal("unclean shutdown not noticed")
			}
		})
	}
}
