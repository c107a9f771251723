package ravepull

import (
	"errors"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/store/storetest"
)

// TestMergeOfUnreadableStagedRows: staged rows whose index entries a disk or an editor damaged are
// reported as a damaged store, once; the pull does not go round merging nothing for ever.
func TestMergeOfUnreadableStagedRows(t *testing.T) {
	db, kr := storetest.OpenToDamage(t)
	var b store.ClinicalBatch
	for i := range 10 {
		b.Add(&store.ClinicalKey{Study: study.OID, Site: "101", Subject: "S" + string(rune('0'+i)), Item: "A"},
			&store.ClinicalValue{Value: "v", AuditID: "1", Source: "audit"})
	}
	err := db.Update(t.Context(), func(tx *store.Tx) error {
		_, err := tx.StageClinical(study.OID, store.NewClinicalRun([]*store.ClinicalBatch{&b}))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = raw.Update(func(tx *bolt.Tx) error {
		index := tx.Bucket(store.BucketStaged).Bucket([]byte("index"))
		var keys [][]byte
		_ = index.ForEach(func(k, _ []byte) error { keys = append(keys, append([]byte(nil), k...)); return nil })
		for _, k := range keys {
			if err := index.Put(k, []byte{0xff}); err != nil { // not an entry any version wrote
				return err
			}
		}
		if len(keys) == 0 {
			t.Fatal("nothing staged in the index")
		}
		return nil
	})
	if cerr := raw.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	db, err = store.Open(t.Context(), path, store.Options{Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := engine(db, nil)
	done := make(chan error, 1)
	go func() { _, err := e.merge(t.Context(), study); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, store.ErrDamaged) {
			t.Fatalf("merge of unreadable staged rows: %v, want a damaged store", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the merge of unreadable staged rows did not end")
	}
}
