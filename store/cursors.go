package store

import (
	"context"
	"time"
)

// Cursor is where a feed resumes: for the audit-records feed the next link exactly as RWS gave it
// (never computed from the last record: startids are global and jump), for a dataset the start time.
type Cursor struct {
	Next         string    `json:"next,omitempty"`           // next URL or startid, as given by the server
	Start        string    `json:"start,omitempty"`          // ISO time for datasets' start=
	LastPageHash string    `json:"last_page_hash,omitempty"` // SHA-256 of the last committed page
	Pages        uint64    `json:"pages"`                    // pages committed so far
	Rows         uint64    `json:"rows"`                     // rows committed so far
	Updated      time.Time `json:"updated"`
}

// cursors is the cursors bucket: one record per study / site set / feed.
func (tx *Tx) cursors() Table[Cursor] { return tableOf[Cursor](tx, BucketCursors) }

// Cursor returns the stored cursor of a feed; ok is false when the feed has not started.
func (tx *Tx) Cursor(study, site, feed string) (c Cursor, ok bool, err error) {
	return tx.cursors().Get(NewKey(study, site, feed))
}

// PutCursor stores a feed's cursor; call it in the same transaction as the page it follows.
func (tx *Tx) PutCursor(study, site, feed string, c Cursor) error {
	return tx.cursors().Put(NewKey(study, site, feed), c)
}

// DeleteCursor forgets a feed's cursor, so that its next pull starts from the beginning; it returns the
// cursor as it was (ok false when there was none) for the audit entry that records the reset.
func (tx *Tx) DeleteCursor(study, site, feed string) (old Cursor, ok bool, err error) {
	k := NewKey(study, site, feed)
	if old, ok, err = tx.cursors().Get(k); err != nil || !ok {
		return old, ok, err
	}
	return old, true, tx.cursors().Delete(k)
}

// WalkCursors calls fn for every feed cursor of study (every study when empty), in key order.
func (tx *Tx) WalkCursors(study string, fn func(site, feed string, c Cursor) error) error {
	var prefix Key
	if study != "" {
		prefix = NewKey(study)
	}
	return tx.cursors().Walk(prefix, func(k Key, c Cursor) error {
		p := k.Parts()
		if len(p) != 3 {
			return nil // not a study / site / feed key: not a cursor this build wrote
		}
		return fn(p[1], p[2], c)
	})
}

// Cursor returns a feed's stored cursor from a read-only transaction of its own.
func (db *DB) Cursor(ctx context.Context, study, site, feed string) (c Cursor, ok bool, err error) {
	err = db.View(ctx, func(tx *Tx) error {
		c, ok, err = tx.Cursor(study, site, feed)
		return err
	})
	return c, ok, err
}
