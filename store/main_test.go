package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/zalando/go-keyring"
	bolt "go.etcd.io/bbolt"
)

// Unit tests use go-keyring's in-memory mock; the real Secret Service is exercised by the CLI's tests,
// which run the binary in separate processes. Most tests are in package store_test and open their
// stores with storetest.Open; the few that need the package's insides are here.
func TestMain(m *testing.M) {
	keyring.MockInit()
	os.Exit(m.Run())
}

// mustOpen opens a fresh store for the tests inside the package (which cannot import storetest, as it
// imports this package) and, when the test ends, closes it and checks it as storetest.Open does.
func mustOpen(t testing.TB) (*DB, Keyring) {
	t.Helper()
	kr := NewSystemKeyring(fmt.Sprintf("trialsync-test-%s", randomHex(4)), nil)
	path := filepath.Join(t.TempDir(), "trialsync.db")
	db, err := Open(t.Context(), path, Options{Keyring: kr})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		ro, err := Open(context.Background(), path, Options{Keyring: kr, ReadOnly: true})
		if err != nil {
			t.Errorf("reopening after the test: %v", err)
			return
		}
		defer ro.Close()
		if rep, err := ro.Verify(context.Background(), nil); err != nil || !rep.OK() {
			t.Errorf("store after test: %v %v %v", err, rep.Problem, rep.Damage)
		}
	})
	return db, kr
}

func TestMigrate(t *testing.T) {
	db, _ := mustOpen(t)
	var applied []int
	steps := []migration{
		{From: 1, Apply: func(tx *bolt.Tx) error { applied = append(applied, 1); return nil }},
		{From: 2, Apply: func(tx *bolt.Tx) error { applied = append(applied, 2); return nil }},
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		if err := writeSchema(tx, 1); err != nil { // steps from schema 1 on, whatever this build's is
			return err
		}
		return migrate(tx, steps, 3)
	})
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
