package store

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// A migration moves a store from schema From to From+1 inside one transaction, so a crash leaves the
// old schema or the new one, never a mix.
type migration struct {
	From  int
	Apply func(tx *bolt.Tx) error
}

// migrations is the explicit upgrade path, in order. Schema 1 is the first; add a step here (and
// raise SchemaVersion) for every layout change, with a test that upgrades a fixture of the old layout.
var migrations = []migration{
	{From: 1, Apply: addStats},
	// 3: the audit feed stages its rows ahead of the clinical bucket (BucketStaged). A store of schema 2
	// has no staged rows, so the bucket starts empty; a schema 2 build must not open a store that may
	// hold some, since it would not read them.
	{From: 2, Apply: func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(BucketStaged)
		return err
	}},
}

// addStats (schema 1 -> 2) adds the stats bucket: hourly activity counters and the last verification.
func addStats(tx *bolt.Tx) error {
	_, err := tx.CreateBucketIfNotExists(BucketStats)
	return err
}

func readSchema(tx *bolt.Tx) (int, error) {
	meta := tx.Bucket(BucketMeta)
	if meta == nil {
		return 0, fmt.Errorf("%w: no meta bucket", ErrNotStore)
	}
	v := meta.Get(metaSchema)
	n, k := binary.Uvarint(v)
	if k <= 0 {
		return 0, fmt.Errorf("%w: schema version unreadable", ErrNotStore)
	}
	return int(n), nil
}

func writeSchema(tx *bolt.Tx, v int) error {
	return tx.Bucket(BucketMeta).Put(metaSchema, binary.AppendUvarint(nil, uint64(v)))
}

// migrate applies every step from the store's schema up to target, then makes sure all buckets exist.
func migrate(tx *bolt.Tx, steps []migration, target int) error {
	cur, err := readSchema(tx)
	if err != nil {
		return err
	}
	if cur > target {
		return fmt.Errorf("schema %d, this trialsync reads up to %d: %w; upgrade trialsync", cur, target, ErrNewerSchema)
	}
	for cur < target {
		var step *migration
		for i := range steps {
			if steps[i].From == cur {
				step = &steps[i]
			}
		}
		if step == nil {
			return fmt.Errorf("no migration from schema %d", cur)
		}
		if err := step.Apply(tx); err != nil {
			return fmt.Errorf("migrating schema %d to %d: %w", cur, cur+1, err)
		}
		cur++
		if err := writeSchema(tx, cur); err != nil {
			return err
		}
	}
	for _, b := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return fmt.Errorf("bucket %s: %w", b, err)
		}
	}
	return nil
}
