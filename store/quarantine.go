package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Quarantined is a fragment that could not be stored as data: kept with its exact bytes and the
// reason, for a person to review and resolve.
type Quarantined struct {
	ID         uint64    `json:"id"`
	Time       time.Time `json:"time"`
	RunID      string    `json:"run_id"`
	Source     string    `json:"source"` // where it came from, e.g. "ALPHA(Prod)/audit startid=1000"
	Reason     string    `json:"reason"`
	Fragment   string    `json:"fragment"` // the raw XML, byte for byte
	Resolved   bool      `json:"resolved"`
	ResolvedBy string    `json:"resolved_by,omitempty"`
	Resolution string    `json:"resolution,omitempty"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
}

// ErrNoSuchQuarantine is returned for an unknown quarantine ID.
var ErrNoSuchQuarantine = errors.New("no such quarantined fragment")

// Quarantine stores q under the next sequence number and returns it.
func (tx *Tx) Quarantine(q Quarantined) (uint64, error) {
	b := tx.Bucket(BucketQuarantine)
	id, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	q.ID = id
	if q.Time.IsZero() {
		q.Time = tx.db.now().UTC()
	}
	return id, putJSON(b, seqKey(id), q)
}

// ResolveQuarantine marks a fragment reviewed, recording who and why; it returns the item as it was.
func (tx *Tx) ResolveQuarantine(id uint64, by, reason string) (Quarantined, error) {
	b := tx.Bucket(BucketQuarantine)
	raw := b.Get(seqKey(id))
	if raw == nil {
		return Quarantined{}, fmt.Errorf("quarantine %d: %w", id, ErrNoSuchQuarantine)
	}
	var q Quarantined
	if err := getJSON(raw, &q); err != nil {
		return q, fmt.Errorf("quarantine %d: %w", id, err)
	}
	if q.Resolved {
		return q, fmt.Errorf("quarantine %d: already resolved by %s (%s)", id, q.ResolvedBy, q.Resolution)
	}
	prev := q
	q.Resolved, q.ResolvedBy, q.Resolution, q.ResolvedAt = true, by, reason, tx.db.now().UTC()
	return prev, putJSON(b, seqKey(id), q)
}

// QuarantineList returns the quarantined fragments, oldest first; resolved ones only when asked.
func (db *DB) QuarantineList(ctx context.Context, includeResolved bool) ([]Quarantined, error) {
	var out []Quarantined
	err := db.View(ctx, func(tx *Tx) error {
		return tx.Bucket(BucketQuarantine).ForEach(func(k, v []byte) error {
			var q Quarantined
			if err := getJSON(v, &q); err != nil {
				return fmt.Errorf("quarantine %x: %w", k, err)
			}
			if includeResolved || !q.Resolved {
				out = append(out, q)
			}
			return nil
		})
	})
	return out, err
}
