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

func (tx *Tx) quarantine() SeqTable[Quarantined] {
	return seqTableOf[Quarantined](tx, BucketQuarantine)
}

// Quarantine stores q under the next sequence number and returns it. Time defaults to now and RunID
// to the transaction's run.
func (tx *Tx) Quarantine(q Quarantined) (uint64, error) {
	t := tx.quarantine()
	id, err := t.NextID()
	if err != nil {
		return 0, err
	}
	q.ID = id
	if q.Time.IsZero() {
		q.Time = tx.db.now().UTC()
	}
	if q.RunID == "" {
		q.RunID = tx.runID
	}
	return id, t.Put(id, q)
}

// ResolveQuarantine marks a fragment reviewed, recording who and why; it returns the item as it was.
// by is the person (an empty by records the transaction's actor).
func (tx *Tx) ResolveQuarantine(id uint64, by, reason string) (Quarantined, error) {
	t := tx.quarantine()
	q, ok, err := t.Get(id)
	switch {
	case err != nil:
		return q, err
	case !ok:
		return q, fmt.Errorf("quarantine %d: %w", id, ErrNoSuchQuarantine)
	case q.Resolved:
		return q, fmt.Errorf("quarantine %d: already resolved by %s (%s)", id, q.ResolvedBy, q.Resolution)
	}
	if by == "" {
		by = tx.actor
	}
	prev := q
	q.Resolved, q.ResolvedBy, q.Resolution, q.ResolvedAt = true, by, reason, tx.db.now().UTC()
	return prev, t.Put(id, q)
}

// QuarantineList returns the quarantined fragments, oldest first; resolved ones only when asked.
func (tx *Tx) QuarantineList(includeResolved bool) ([]Quarantined, error) {
	var out []Quarantined
	err := tx.quarantine().Walk(0, func(_ uint64, q Quarantined) error {
		if includeResolved || !q.Resolved {
			out = append(out, q)
		}
		return nil
	})
	return out, err
}

// QuarantineList returns the quarantined fragments from a read-only transaction of its own.
func (db *DB) QuarantineList(ctx context.Context, includeResolved bool) ([]Quarantined, error) {
	var out []Quarantined
	err := db.View(ctx, func(tx *Tx) (err error) {
		out, err = tx.QuarantineList(includeResolved)
		return err
	})
	return out, err
}
