package store

import (
	"bytes"
	"context"
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// ClinicalKey is the natural key of one stored item value. Upserting by it is what makes re-applying
// a page a no-op.
type ClinicalKey struct {
	Study, Site, Subject       string
	Event, EventRepeat         string
	Form, FormRepeat           string
	ItemGroup, ItemGroupRepeat string
	Item                       string
}

// ClinicalValue is what is known about one item: its value and the audit record that last set it.
type ClinicalValue struct {
	Value   string
	IsNull  bool
	AuditID string // SourceID of the audit record that last set the value; "" if none
	User    string
	Time    string
	Reason  string
	Source  string // feed the value came from: "audit" or "dataset"
	RunID   string // run that stored it
}

const clinicalVersion = 1

// AppendKey appends the key's stored form to dst (sorted as the contract's export order).
func (k *ClinicalKey) AppendKey(dst []byte) []byte {
	return joinKey(dst, k.Study, k.Site, k.Subject, k.Event, k.EventRepeat, k.Form, k.FormRepeat, k.ItemGroup, k.ItemGroupRepeat, k.Item)
}

func (v *ClinicalValue) appendValue(dst []byte) []byte {
	dst = append(dst, clinicalVersion, 0)
	if v.IsNull {
		dst[len(dst)-1] = 1
	}
	return appendStrings(dst, v.Value, v.AuditID, v.User, v.Time, v.Reason, v.Source, v.RunID)
}

func decodeClinicalKey(b []byte) (ClinicalKey, error) {
	parts := bytes.Split(b, []byte{0})
	if len(parts) != 10 {
		return ClinicalKey{}, fmt.Errorf("clinical key with %d parts", len(parts))
	}
	s := make([]string, 10)
	for i, p := range parts {
		s[i] = string(p)
	}
	return ClinicalKey{s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9]}, nil
}

func decodeClinicalValue(b []byte) (ClinicalValue, error) {
	var v ClinicalValue
	if len(b) < 2 || b[0] != clinicalVersion {
		return v, errRecord
	}
	v.IsNull = b[1] == 1
	_, err := readStrings(b[2:], &v.Value, &v.AuditID, &v.User, &v.Time, &v.Reason, &v.Source, &v.RunID)
	return v, err
}

// ClinicalWriter upserts item values inside one transaction; get one per transaction from
// Tx.Clinical. bbolt keeps references to put keys and values until commit, so they are carved out of
// an arena that is never overwritten, rather than allocated one by one.
type ClinicalWriter struct {
	b     *bolt.Bucket
	key   []byte
	arena []byte
}

const arenaChunk = 1 << 20

// keep copies b into the arena and returns the copy, valid until the transaction ends.
func (w *ClinicalWriter) keep(b []byte) []byte {
	if len(w.arena)+len(b) > cap(w.arena) {
		w.arena = make([]byte, 0, max(arenaChunk, len(b)))
	}
	start := len(w.arena)
	w.arena = append(w.arena, b...)
	return w.arena[start:len(w.arena):len(w.arena)]
}

// Clinical returns a writer for the clinical bucket in this transaction.
func (tx *Tx) Clinical() *ClinicalWriter {
	b := tx.btx.Bucket(BucketClinical)
	return &ClinicalWriter{b: b}
}

// Upsert stores v under k unless the stored value already says the same, or was set by a later audit
// record (a larger numeric SourceID), so that re-applying any page leaves the bucket byte-for-byte as
// it was. It reports whether anything was written.
func (w *ClinicalWriter) Upsert(k *ClinicalKey, v *ClinicalValue) (bool, error) {
	w.key = k.AppendKey(w.key[:0])
	if old := w.b.Get(w.key); old != nil {
		prev, err := decodeClinicalValue(old)
		if err == nil && (sameValue(&prev, v) || newerAudit(prev.AuditID, v.AuditID)) {
			return false, nil
		}
	}
	var buf [256]byte
	if err := w.b.Put(w.keep(w.key), w.keep(v.appendValue(buf[:0]))); err != nil {
		return false, fmt.Errorf("clinical %s/%s/%s %s: %w", k.Study, k.Subject, k.Form, k.Item, err)
	}
	return true, nil
}

// sameValue reports whether incoming b adds nothing to stored a. A value without audit information
// (from a dataset pull) that matches the stored one keeps the stored audit information.
func sameValue(a, b *ClinicalValue) bool {
	if b.AuditID == "" && a.Value == b.Value && a.IsNull == b.IsNull {
		return true
	}
	return a.Value == b.Value && a.IsNull == b.IsNull && a.AuditID == b.AuditID && a.User == b.User &&
		a.Time == b.Time && a.Reason == b.Reason
}

// newerAudit reports whether the stored value came from a later audit record than the incoming one.
func newerAudit(stored, incoming string) bool {
	s, err1 := strconv.ParseUint(stored, 10, 64)
	i, err2 := strconv.ParseUint(incoming, 10, 64)
	return err1 == nil && err2 == nil && s > i
}

// WalkClinical calls fn for every stored value in natural-key order.
func (db *DB) WalkClinical(ctx context.Context, fn func(ClinicalKey, ClinicalValue) error) error {
	return db.View(ctx, func(tx *Tx) error {
		c := tx.Bucket(BucketClinical).Cursor()
		n := 0
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if n++; n%progressEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			key, err := decodeClinicalKey(k)
			if err != nil {
				return err
			}
			val, err := decodeClinicalValue(v)
			if err != nil {
				return fmt.Errorf("clinical value at %q: %w", k, err)
			}
			if err := fn(key, val); err != nil {
				return err
			}
		}
		return nil
	})
}
