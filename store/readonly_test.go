package store_test

import (
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/store/storetest"
)

// TestReadOnlyOpenNeverCreates: where there is no store and the keyring remembers none, a read-only
// open says so and leaves the directory as it was (verify used to create a store and pass it).
func TestReadOnlyOpenNeverCreates(t *testing.T) {
	dir := t.TempDir()
	_, err := store.Open(t.Context(), filepath.Join(dir, "trialsync.db"), store.Options{Keyring: storetest.NewKeyring(t), ReadOnly: true})
	if !errors.Is(err, store.ErrNoStore) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("read-only Open of nothing: %v", err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 0 {
		t.Fatalf("files made: %v", es)
	}
}

// TestDeletedStoreIsReportedMissing: a store deleted while the keyring remembers it is a StoreMissing
// problem naming the store and how many entries it held; nothing is created in its place.
func TestDeletedStoreIsReportedMissing(t *testing.T) {
	db, kr := storetest.OpenToDamage(t)
	path := db.Path()
	appendN(t, db, 4)
	id := db.InstallID()
	db.Close()
	os.Remove(path)
	_, err := store.Open(t.Context(), path, store.Options{Keyring: kr, ReadOnly: true})
	var p *store.Problem
	if !errors.As(err, &p) || p.Kind != store.StoreMissing || p.Seq != 0 {
		t.Fatalf("read-only Open of a deleted store: %v", err)
	}
	for _, want := range []string{"store missing", id, "held 5 audit entries", "deleted or moved"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("a store was created in place of the missing one")
	}
}

// TestReplacedStoreIsReported: another valid store copied over this one verifies on its own, but the
// keyring records which store lives at the path: verify reports it replaced, and writes are refused.
func TestReplacedStoreIsReported(t *testing.T) {
	kr := storetest.NewKeyring(t)
	dir := t.TempDir()
	mine, other := filepath.Join(dir, "trialsync.db"), filepath.Join(dir, "other.db")
	for _, p := range []string{mine, other} {
		db, err := store.Open(t.Context(), p, store.Options{Keyring: kr})
		if err != nil {
			t.Fatal(err)
		}
		appendN(t, db, 3)
		db.Close()
	}
	raw, err := os.ReadFile(other)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mine, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, readOnly := range []bool{true, false} {
		db, err := store.Open(t.Context(), mine, store.Options{Keyring: kr, ReadOnly: readOnly})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := db.Verify(t.Context(), nil)
		if err != nil || rep.OK() || rep.Problem.Kind != store.StoreReplaced || !strings.Contains(rep.Problem.Error(), "store replaced") {
			t.Errorf("verify (read-only %v): %v %v", readOnly, rep.Problem, err)
		}
		if !readOnly {
			err := db.Update(t.Context(), func(tx *store.Tx) error { _, err := tx.Append(store.Entry{Action: "x"}); return err })
			if err == nil || !strings.Contains(err.Error(), "replaced") {
				t.Errorf("write to a replaced store: %v", err)
			}
		}
		db.Close()
	}
}

// TestStoreMadeAfterADeletionIsNotReplaced: the process that makes a store where another was deleted
// can die before it records the new store's path in the keyring; the new store's first entry names the
// missing one, and that is enough to tell it from a replacement.
func TestStoreMadeAfterADeletionIsNotReplaced(t *testing.T) {
	old, kr := storetest.OpenToDamage(t)
	path := old.Path()
	oldID := old.InstallID()
	old.Close()
	os.Remove(path)
	db := storetest.OpenAt(t, path, store.Options{Keyring: kr})
	newID := db.InstallID()
	db.Close()
	if err := kr.Set(store.PathEntryName(path), oldID); err != nil { // as if the process died before recording
		t.Fatal(err)
	}
	db = storetest.OpenAt(t, path, store.Options{Keyring: kr})
	if err := db.Writable(); err != nil {
		t.Fatalf("the new store is refused: %v", err)
	}
	if got, _ := kr.Get(store.PathEntryName(path)); got != newID {
		t.Fatalf("path entry = %q, want the new store %q", got, newID)
	}
}

// TestReadOnlyCopies: a copy of a store kept read-only (a 0400 file, or a file in a read-only directory)
// can be verified, listed and exported, and is left byte for byte as it was; writing is refused.
func TestReadOnlyCopies(t *testing.T) {
	cases := []struct {
		name string
		lock func(t *testing.T, path string)
	}{
		{"0400 file", func(t *testing.T, path string) { os.Chmod(path, 0o400) }},
		{"read-only directory", func(t *testing.T, path string) {
			dir := filepath.Dir(path)
			os.Chmod(dir, 0o500)
			t.Cleanup(func() { os.Chmod(dir, 0o700) })
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kr := storetest.NewKeyring(t)
			path := filepath.Join(t.TempDir(), "copy", "trialsync.db")
			db, err := store.Open(t.Context(), path, store.Options{Keyring: kr})
			if err != nil {
				t.Fatal(err)
			}
			appendN(t, db, 5)
			fillClinical(t, db, 100)
			db.Close()
			tc.lock(t, path)
			before, _ := os.ReadFile(path)
			fi0, _ := os.Stat(path)

			db, err = store.Open(t.Context(), path, store.Options{Keyring: kr, ReadOnly: true})
			if err != nil {
				t.Fatalf("read-only Open: %v", err)
			}
			rep, err := db.Verify(t.Context(), nil)
			if err != nil || !rep.OK() || rep.Entries != 6 {
				t.Errorf("verify: %+v %v", rep, err)
			}
			if es, err := db.Entries(t.Context(), 0, 100); err != nil || len(es) != 6 {
				t.Errorf("list: %d %v", len(es), err)
			}
			rows := 0
			if err := db.WalkClinical(t.Context(), func(store.ClinicalKey, store.ClinicalValue) error { rows++; return nil }); err != nil || rows != 100 {
				t.Errorf("export: %d rows, %v", rows, err)
			}
			if _, err := db.Checkpoint(t.Context()); err != nil {
				t.Errorf("checkpoint: %v", err)
			}
			err = db.Update(t.Context(), func(tx *store.Tx) error { _, err := tx.Append(store.Entry{Action: "x"}); return err })
			if !errors.Is(err, store.ErrReadOnly) {
				t.Errorf("write to a read-only open: %v", err)
			}
			if err := db.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			after, _ := os.ReadFile(path)
			fi1, _ := os.Stat(path)
			if sha256.Sum256(before) != sha256.Sum256(after) || !fi0.ModTime().Equal(fi1.ModTime()) || fi0.Mode() != fi1.Mode() {
				t.Fatal("the read-only copy was modified")
			}
			if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
				t.Fatalf("files beside the copy: %v", entries)
			}
		})
	}
}

// TestWritableOpenOfA0400File: a store made read-only on purpose is not written even by root, who could;
// the refusal says which commands can still use it.
func TestWritableOpenOfA0400File(t *testing.T) {
	db, kr := storetest.OpenToDamage(t)
	path := db.Path()
	db.Close()
	os.Chmod(path, 0o400)
	before, _ := os.ReadFile(path)
	_, err := store.Open(t.Context(), path, store.Options{Keyring: kr})
	if !errors.Is(err, store.ErrReadOnly) || !strings.Contains(err.Error(), "audit verify") {
		t.Fatalf("writable Open of a 0400 store: %v", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Fatal("file modified")
	}
}
