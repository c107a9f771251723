package store_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/store/storetest"
)

// TestStoreFileMadePrivate: a store readable by other users (0644) is made 0600 when opened, for writing
// or for reading, and the change is said once.
func TestStoreFileMadePrivate(t *testing.T) {
	for _, readOnly := range []bool{false, true} {
		db, kr := storetest.OpenToDamage(t)
		path := db.Path()
		db.Close()
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		for i, wantNotice := range []bool{true, false} {
			db, err := store.Open(t.Context(), path, store.Options{Keyring: kr, ReadOnly: readOnly})
			if err != nil {
				t.Fatal(err)
			}
			notices := db.Notices()
			db.Close()
			fi, _ := os.Stat(path)
			if fi.Mode().Perm() != 0o600 {
				t.Fatalf("read-only %v, open %d: mode %v, want 0600", readOnly, i+1, fi.Mode())
			}
			if got := len(notices) == 1 && strings.Contains(notices[0], "mode 0644") && strings.Contains(notices[0], "private (0600)"); got != wantNotice {
				t.Fatalf("read-only %v, open %d: notices %q", readOnly, i+1, notices)
			}
		}
	}
}

// TestTruncatedUnderAnOpenStore: a file cut short while the store is open makes bbolt read past the end
// of its mapping; the fault comes back as ErrDamaged instead of killing the process with SIGBUS.
func TestTruncatedUnderAnOpenStore(t *testing.T) {
	db, kr := storetest.OpenToDamage(t)
	path := db.Path()
	fillClinical(t, db, 20_000)
	db.Close()
	db, err := store.Open(t.Context(), path, store.Options{Keyring: kr, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := os.Truncate(path, 3*4096); err != nil {
		t.Fatal(err)
	}
	err = db.WalkClinical(t.Context(), func(store.ClinicalKey, store.ClinicalValue) error { return nil })
	if !errors.Is(err, store.ErrDamaged) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("walk over a truncated file: %v", err)
	}
	rep, err := db.Verify(t.Context(), nil)
	if err != nil || rep.OK() {
		t.Fatalf("verify of a truncated file: %+v %v", rep, err)
	}
}

// TestVerifyFindsDamagedDataPages: a zeroed page of clinical data leaves the audit chain intact, so the
// chain alone would verify while an export fails half-way; verify runs the consistency check too and
// reports the store damaged, naming what it found.
func TestVerifyFindsDamagedDataPages(t *testing.T) {
	db, kr := storetest.OpenToDamage(t)
	path := db.Path()
	appendN(t, db, 5)
	fillClinical(t, db, 5000)
	db.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	off := pageHolding(t, raw, []byte("value 2500"))
	copy(raw[off:off+4096], make([]byte, 4096))
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}

	db, err = store.Open(t.Context(), path, store.Options{Keyring: kr, ReadOnly: true})
	if err != nil {
		t.Fatal(err) // a clean shutdown: no check at open, as before
	}
	defer db.Close()
	rep, err := db.Verify(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || rep.Problem.Kind != store.StoreDamaged || rep.Entries != 6 || rep.DamageCount == 0 || len(rep.Damage) == 0 {
		t.Fatalf("verify of a store with a zeroed data page: %+v", rep)
	}
	if msg := rep.Problem.Error(); !strings.Contains(msg, "store damaged") || !strings.Contains(msg, rep.Damage[0]) {
		t.Fatalf("problem %q does not say what was found (%q)", msg, rep.Damage[0])
	}
	err = db.WalkClinical(t.Context(), func(store.ClinicalKey, store.ClinicalValue) error { return nil })
	if err == nil {
		t.Fatal("the export read a zeroed page without noticing: this test damaged nothing")
	}
}

// pageHolding returns the offset of the 4 KiB page that contains needle.
func pageHolding(t *testing.T, raw, needle []byte) int {
	t.Helper()
	i := bytes.Index(raw, needle)
	if i < 0 {
		t.Fatalf("%q not in the file", needle)
	}
	return i &^ 4095
}

// TestABugIsNotDamage: a panic in the caller's own transaction function is a bug, not a damaged file: it
// goes on as it would without the store, and the file is not blamed.
func TestABugIsNotDamage(t *testing.T) {
	db := storetest.Open(t, store.Options{})
	for name, run := range map[string]func(fn func(*store.Tx) error) error{
		"update": func(fn func(*store.Tx) error) error { return db.Update(t.Context(), fn) },
		"view":   func(fn func(*store.Tx) error) error { return db.View(t.Context(), fn) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != "engine bug" {
					t.Fatalf("recovered %v, want the caller's own panic", r)
				}
			}()
			err := run(func(*store.Tx) error { panic("engine bug") })
			t.Fatalf("the panic became an error: %v", err)
		})
	}
}
