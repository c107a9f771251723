package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Tx is one read-write transaction: the caller's bucket changes and the audit entries that record them
// commit together or not at all.
type Tx struct {
	btx      *bolt.Tx
	db       *DB
	sealer   *sealer
	tipSeq   uint64
	tip      [32]byte
	loaded   bool
	appended int
}

// Bucket returns the named bucket (one of the Bucket* names). Values read from it are valid only
// until the transaction ends; copy what you keep.
func (tx *Tx) Bucket(name []byte) *bolt.Bucket { return tx.btx.Bucket(name) }

// Update runs fn in one read-write transaction. If fn returns an error nothing is written. fn may be
// called once only; it must not start other transactions.
func (db *DB) Update(ctx context.Context, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var cp *checkpoint
	err := db.bolt.Update(func(btx *bolt.Tx) error {
		db.bolt.NoFreelistSync = false // set under bbolt's writer lock; see Tx.Bulk
		tx := &Tx{btx: btx, db: db}
		if err := fn(tx); err != nil {
			return err
		}
		var err error
		cp, err = tx.finish()
		return err
	})
	if err != nil {
		return err
	}
	if cp != nil {
		db.committed(cp)
	}
	return nil
}

// View runs fn in a read-only transaction.
func (db *DB) View(ctx context.Context, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.view(func(btx *bolt.Tx) error { return fn(&Tx{btx: btx, db: db}) })
}

// Bulk marks this transaction as one of a run of bulk commits whose last one is an ordinary commit
// (a dataset's batches before its final one): bbolt then skips rewriting its free-page list, which for a
// multi-gigabyte file dominates each commit. The list is rewritten by the next ordinary commit; a crash
// in between only makes the next open rebuild it from the pages (slower, not unsafe).
func (tx *Tx) Bulk() { tx.db.bolt.NoFreelistSync = true }

// Append adds e to the ledger in this transaction and returns it as stored (Seq, Time, Prev, Hash
// filled in). Time defaults to now; it is stored in UTC.
func (tx *Tx) Append(e Entry) (Entry, error) {
	if err := tx.db.Writable(); err != nil {
		return Entry{}, err
	}
	if !tx.loaded {
		if err := tx.loadTip(); err != nil {
			return Entry{}, err
		}
		tx.sealer = newSealer(tx.db.key)
	}
	if e.Time.IsZero() {
		e.Time = tx.db.now()
	}
	e.Time = e.Time.UTC()
	e.Seq = tx.tipSeq + 1
	e.Prev = tx.tip
	v := tx.sealer.seal(&e)
	b := tx.btx.Bucket(BucketAudit)
	b.FillPercent = 1 // append-only, keys ascending: pack pages full
	if err := b.Put(seqKey(e.Seq), v); err != nil {
		return Entry{}, fmt.Errorf("audit append: %w", err)
	}
	tx.tipSeq, tx.tip = e.Seq, e.Hash
	tx.appended++
	return e, nil
}

// loadTip reads the last entry's sequence and hash.
func (tx *Tx) loadTip() error {
	k, v := tx.btx.Bucket(BucketAudit).Cursor().Last()
	tx.loaded = true
	if k == nil {
		return nil
	}
	_, sum, _, err := storedParts(v)
	if err != nil || len(k) != 8 {
		return fmt.Errorf("store %s: last audit entry unreadable; run trialsync audit verify", tx.db.path)
	}
	tx.tipSeq = binary.BigEndian.Uint64(k)
	copy(tx.tip[:], sum)
	return nil
}

// finish rewrites the keyed checkpoint in meta when the transaction appended entries, and returns it
// so that the caller can copy it to the keyring once (and only if) the transaction commits.
func (tx *Tx) finish() (*checkpoint, error) {
	if tx.appended == 0 {
		return nil, nil
	}
	cp := &checkpoint{Count: tx.tipSeq, Tip: tx.tip}
	cp.MAC = cp.computeMAC(tx.db.key)
	if err := tx.btx.Bucket(BucketMeta).Put(metaCheckpoint, cp.marshal()); err != nil {
		return nil, err
	}
	return cp, nil
}

// committed records cp as the newest checkpoint and copies it to the keyring, at most once per
// keyringSyncInterval; Close copies the last one. A keyring failure here is retried at the next
// commit and reported by Close; the store itself is already durable.
func (db *DB) committed(cp *checkpoint) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if cp.Count <= db.highest {
		return // an older commit finishing late: never move the keyring's copy backwards
	}
	db.highest, db.pending = cp.Count, cp
	if time.Since(db.synced) < keyringSyncInterval {
		return
	}
	_ = db.syncKeyringLocked()
}

func (db *DB) syncKeyringLocked() error {
	if db.pending == nil {
		return nil
	}
	if err := db.keyring.Set(db.checkpointName(), db.pending.text()); err != nil {
		return fmt.Errorf("store %s: saving the audit checkpoint to the keyring: %w", db.path, err)
	}
	db.pending = nil
	db.synced = time.Now()
	return nil
}
