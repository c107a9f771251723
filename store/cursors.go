package store

import (
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

func cursorKey(study, site, feed string) []byte { return joinKey(nil, study, site, feed) }

// Cursor returns the stored cursor of a feed; ok is false when the feed has not started.
func (tx *Tx) Cursor(study, site, feed string) (c Cursor, ok bool, err error) {
	raw := tx.Bucket(BucketCursors).Get(cursorKey(study, site, feed))
	if raw == nil {
		return c, false, nil
	}
	return c, true, getJSON(raw, &c)
}

// PutCursor stores a feed's cursor; call it in the same transaction as the page it follows.
func (tx *Tx) PutCursor(study, site, feed string, c Cursor) error {
	return putJSON(tx.Bucket(BucketCursors), cursorKey(study, site, feed), c)
}

// DeleteCursor forgets a feed's cursor, so that its next pull starts from the beginning; call it in
// the same transaction as the audit entry that says why.
func (tx *Tx) DeleteCursor(study, site, feed string) error {
	return tx.Bucket(BucketCursors).Delete(cursorKey(study, site, feed))
}
