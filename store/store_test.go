package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
	bolt "go.etcd.io/bbolt"

	"github.com/trialsync/trialsync/store/storetest"
)

// Unit tests use go-keyring's in-memory mock; the real Secret Service is exercised by the CLI's tests,
// which run the binary in separate processes.
func TestMain(m *testing.M) {
	keyring.MockInit()
	os.Exit(m.Run())
}

// mustOpen opens a fresh store in a temporary directory and, when the test ends, closes it and checks
// that the ledger still verifies (the way bbolt's btesting checks every test's database).
func mustOpen(t testing.TB) (*DB, Keyring) {
	t.Helper()
	kr := NewSystemKeyring(fmt.Sprintf("trialsync-test-%s", randomHex(4)), nil)
	path := filepath.Join(t.TempDir(), "trialsync.db")
	db, err := Open(t.Context(), path, Options{Keyring: kr})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if db.closed {
			return
		}
		rep, err := db.Verify(context.Background(), nil)
		if err != nil || !rep.OK() {
			t.Errorf("ledger after test: %v %v", err, rep.Problem)
		}
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db, kr
}

func appendN(t testing.TB, db *DB, n int) {
	t.Helper()
	for i := range n {
		err := db.Update(t.Context(), func(tx *Tx) error {
			_, err := tx.Append(Entry{Actor: "tester", Action: "test.append", Object: fmt.Sprintf("obj-%d", i), Reason: "because"})
			return err
		})
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
}

func TestCreateHasEveryBucketAndFirstEntry(t *testing.T) {
	db, _ := mustOpen(t)
	err := db.View(t.Context(), func(tx *Tx) error {
		for _, b := range allBuckets {
			if tx.Bucket(b) == nil {
				t.Errorf("bucket %s missing", b)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	es, err := db.Entries(t.Context(), 0, 10)
	if err != nil || len(es) != 1 || es[0].Action != "store.created" || es[0].Seq != 1 {
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
	db, kr := mustOpen(t)
	start := time.Now()
	_, err := Open(t.Context(), db.Path(), Options{Keyring: kr, LockTimeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), "is in use by another trialsync") {
		t.Fatalf("message %q", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("second Open hung")
	}
}

func TestAppendAndVerifyAcrossReopen(t *testing.T) {
	db, kr := mustOpen(t)
	appendN(t, db, 50)
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := Open(t.Context(), path, Options{Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
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
	db, _ := mustOpen(t)
	boom := errors.New("boom")
	err := db.Update(t.Context(), func(tx *Tx) error {
		if err := tx.Bucket(BucketCursors).Put([]byte("k"), []byte("v")); err != nil {
			return err
		}
		if _, err := tx.Append(Entry{Action: "x"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update: %v", err)
	}
	err = db.View(t.Context(), func(tx *Tx) error {
		if v := tx.Bucket(BucketCursors).Get([]byte("k")); v != nil {
			t.Error("state change survived a failed transaction")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if es, _ := db.Entries(t.Context(), 0, 10); len(es) != 1 {
		t.Fatalf("audit entries = %d, want only store.created", len(es))
	}
}

func TestRefusedFilesStayUntouched(t *testing.T) {
	kr := NewSystemKeyring("trialsync-test-refused", nil)
	newer := func(t *testing.T, path string) {
		db, err := Open(t.Context(), path, Options{Keyring: kr})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		if err := storetest.SetSchema(path, SchemaVersion+1); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name    string
		prepare func(t *testing.T, path string)
		want    error
		text    string
	}{
		{"not bbolt", func(t *testing.T, p string) { os.WriteFile(p, bytes.Repeat([]byte("not a database\n"), 400), 0o600) }, ErrNotStore, "not a trialsync store"},
		{"empty file", func(t *testing.T, p string) { os.WriteFile(p, nil, 0o600) }, ErrNotStore, "empty file"},
		{"newer schema", newer, ErrNewerSchema, "upgrade trialsync"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.db")
			tc.prepare(t, path)
			before, _ := os.ReadFile(path)
			fi0, _ := os.Stat(path)
			_, err := Open(t.Context(), path, Options{Keyring: kr})
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
			const pageSize, leafFlag = 4096, 0x02
			leaves := 0
			for off := 2 * pageSize; off+pageSize <= len(raw); off += pageSize {
				if binary.LittleEndian.Uint16(raw[off+8:]) == leafFlag {
					if leaves++; leaves == 3 {
						copy(raw[off:off+pageSize], bytes.Repeat([]byte{0xA5}, pageSize))
						break
					}
				}
			}
			if leaves < 3 {
				t.Fatalf("only %d leaf pages", leaves)
			}
			os.WriteFile(path, raw, 0o600)
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db, kr := mustOpen(t)
			err := db.Update(t.Context(), func(tx *Tx) error {
				var b ClinicalBatch
				for i := range 3000 {
					b.Add(&ClinicalKey{Study: "S", Subject: fmt.Sprintf("%05d", i), Item: "I"}, &ClinicalValue{Value: "v"})
				}
				_, err := tx.Clinical().Write(&b)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			path := db.Path()
			db.Close()
			if err := storetest.MarkUnclean(path); err != nil {
				t.Fatal(err)
			}
			tc.damage(t, path)
			db2, err := Open(t.Context(), path, Options{Keyring: kr})
			if tc.refused {
				if !errors.Is(err, ErrDamaged) || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "restore it from a backup") {
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

func TestMigrate(t *testing.T) {
	db, _ := mustOpen(t)
	var applied []int
	steps := []migration{
		{From: 1, Apply: func(tx *bolt.Tx) error { applied = append(applied, 1); return nil }},
		{From: 2, Apply: func(tx *bolt.Tx) error { applied = append(applied, 2); return nil }},
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error { return migrate(tx, steps, 3) })
	if err != nil || len(applied) != 2 {
		t.Fatalf("migrate: %v, applied %v", err, applied)
	}
	err = db.bolt.View(func(tx *bolt.Tx) error {
		v, err := readSchema(tx)
		if v != 3 {
			t.Errorf("schema after migrate = %d", v)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.bolt.Update(func(tx *bolt.Tx) error { return migrate(tx, nil, 2) })
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("downgrade: %v", err)
	}
	// Leave the store readable by the cleanup's verify.
	db.bolt.Update(func(tx *bolt.Tx) error { return writeSchema(tx, SchemaVersion) })
}
