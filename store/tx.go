package store

import (
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Tx is one transaction: in an Update, the caller's record changes and the audit entries that record
// them commit together or not at all; in a View, a consistent snapshot to read.
type Tx struct {
	btx      *bolt.Tx
	db       *DB
	actor    string // recorded on entries that leave Actor empty
	runID    string // recorded on entries that leave RunID empty
	sealer   *sealer
	tipSeq   uint64
	tip      [32]byte
	loaded   bool
	appended int
}

// ActorAgent is the actor of what the agent does on its own (pulls, sends, reconciliations).
const ActorAgent = "agent"

// bucket returns the named bucket (one of the Bucket* names); nil when the store lacks it.
func (tx *Tx) bucket(name []byte) *bolt.Bucket { return tx.btx.Bucket(name) }

// Bucket returns the named bucket.
//
// Deprecated: use the typed accessors (Table, Cursor, Quarantine, Clinical); kept only until the
// clinical walk moves to them.
func (tx *Tx) Bucket(name []byte) *bolt.Bucket { return tx.bucket(name) }

// ForEach calls fn with every raw key and value of the named bucket, in key order: for diagnostics and
// tests that compare stored bytes. The slices are valid only during the call.
func (tx *Tx) ForEach(name []byte, fn func(k, v []byte) error) error {
	b := tx.bucket(name)
	if b == nil {
		return fmt.Errorf("store %s: bucket %s missing", tx.db.path, name)
	}
	return b.ForEach(fn)
}

// Actor is who this transaction's entries are by, unless an entry names its own: ActorAgent (or
// Options.Actor) in Update, the person in UpdateAs.
func (tx *Tx) Actor() string { return tx.actor }

// RunID is the run recorded on this transaction's entries (Options.RunID).
func (tx *Tx) RunID() string { return tx.runID }

// Update runs fn in one read-write transaction on the agent's behalf: entries that leave Actor empty
// are by Options.Actor (ActorAgent unless set). If fn returns an error nothing is written. fn may be
// called once only; it must not start other transactions.
func (db *DB) Update(ctx context.Context, fn func(tx *Tx) error) error {
	return db.UpdateAs(ctx, "", fn)
}

// UpdateAs is Update for a change a person asked for (resolving a quarantined fragment, setting a
// credential): entries that leave Actor empty are by actor, the person's OS user name. An empty actor
// means the agent, as in Update.
func (db *DB) UpdateAs(ctx context.Context, actor string, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if db.readOnly {
		return db.Writable()
	}
	if actor == "" {
		actor = db.actor
	}
	var cp *checkpoint
	err := db.update(func(btx *bolt.Tx) error {
		db.bolt.NoFreelistSync = false // set under bbolt's writer lock; see Tx.Bulk
		tx := &Tx{btx: btx, db: db, actor: actor, runID: db.runID}
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
	return db.view(func(btx *bolt.Tx) error { return fn(&Tx{btx: btx, db: db, actor: db.actor, runID: db.runID}) })
}

// Bulk marks this transaction as one of a run of bulk commits whose last one is an ordinary commit
// (a dataset's batches before its final one): bbolt then skips rewriting its free-page list, which for a
// multi-gigabyte file dominates each commit. The list is rewritten by the next ordinary commit; a crash
// in between only makes the next open rebuild it from the pages (slower, not unsafe).
func (tx *Tx) Bulk() { tx.db.bolt.NoFreelistSync = true }

// Append adds e to the ledger in this transaction and returns it as stored (Seq, Time, Prev, Hash
// filled in). Time defaults to now and is stored in UTC; an empty RunID or Actor is the transaction's
// (Tx.RunID, Tx.Actor), so callers name only what the entry is about.
func (tx *Tx) Append(e Entry) (Entry, error) {
	if err := tx.db.Writable(); err != nil {
		return Entry{}, err
	}
	if e.RunID == "" {
		e.RunID = tx.runID
	}
	if e.Actor == "" {
		e.Actor = tx.actor
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
