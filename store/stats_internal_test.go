package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestMigrateAddsStats upgrades a store of the schema 1 layout (no stats bucket) and counts in it.
func TestMigrateAddsStats(t *testing.T) {
	kr := NewSystemKeyring("trialsync-test-"+randomHex(4), nil)
	path := filepath.Join(t.TempDir(), "trialsync.db")
	ctx := t.Context()
	db, err := Open(ctx, path, Options{Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(BucketStats); err != nil {
			return err
		}
		return writeSchema(tx, 1)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// A read-only open cannot upgrade: it says what to do instead of reading a bucket that is not there.
	if ro, err := Open(ctx, path, Options{Keyring: kr, ReadOnly: true}); err == nil {
		ro.Close()
		t.Fatal("a read-only open of a schema 1 store succeeded")
	}
	db, err = Open(ctx, path, Options{Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.bolt.View(func(tx *bolt.Tx) error {
		if v, err := readSchema(tx); err != nil || v != SchemaVersion {
			t.Errorf("schema after upgrade %d (%v), want %d", v, err, SchemaVersion)
		}
		if tx.Bucket(BucketStats) == nil {
			t.Error("no stats bucket after the upgrade")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	err = db.Update(context.Background(), func(tx *Tx) error { return tx.CountHour(StatPulled, now, 9) })
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx *Tx) error {
		n, err := tx.CountSince(StatPulled, "", "", now.Add(-time.Minute))
		if n != 9 {
			t.Errorf("counted %d after the upgrade, want 9", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
