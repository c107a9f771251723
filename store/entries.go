package store

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"

	bolt "go.etcd.io/bbolt"
)

// errStop ends a walk early without error.
var errStop = errors.New("stop")

// WalkEntries calls fn for each entry with Seq > after, in order, until fn returns an error (which
// WalkEntries returns) or the ledger ends. Entries are decoded copies, safe to keep; one whose bytes
// cannot be decoded comes with Damage set, so that a listing shows it in place and goes on.
func (db *DB) WalkEntries(ctx context.Context, after uint64, fn func(Entry) error) error {
	err := db.view(func(btx *bolt.Tx) error {
		c := btx.Bucket(BucketAudit).Cursor()
		n := 0
		for k, v := c.Seek(seqKey(after + 1)); k != nil; k, v = c.Next() {
			if n++; n%progressEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			e, err := decodeEntry(v)
			if err != nil {
				e = Entry{Damage: err.Error() + "; run trialsync audit verify"}
				if len(k) == 8 {
					e.Seq = binary.BigEndian.Uint64(k)
				}
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// Entries returns up to limit entries with Seq > after, in order.
func (db *DB) Entries(ctx context.Context, after uint64, limit int) ([]Entry, error) {
	var out []Entry
	err := db.WalkEntries(ctx, after, func(e Entry) error {
		if len(out) >= limit {
			return errStop
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// Checkpoint is the keyed checkpoint as exported for anchoring outside the machine.
type Checkpoint struct {
	Count uint64 `json:"count"`
	Tip   string `json:"tip"`
	MAC   string `json:"mac"`
}

// Checkpoint returns the store's current keyed checkpoint (zero when the ledger is empty).
func (db *DB) Checkpoint(ctx context.Context) (Checkpoint, error) {
	var out Checkpoint
	err := db.View(ctx, func(tx *Tx) error {
		v := tx.Bucket(BucketMeta).Get(metaCheckpoint)
		if v == nil {
			return nil
		}
		cp, err := unmarshalCheckpoint(v)
		if err != nil {
			return err
		}
		out = Checkpoint{Count: cp.Count, Tip: hex.EncodeToString(cp.Tip[:]), MAC: hex.EncodeToString(cp.MAC[:])}
		return nil
	})
	return out, err
}
