package store

import (
	"bytes"
	"errors"
	"fmt"
	"math"

	bolt "go.etcd.io/bbolt"
)

// StopWalk, returned by a walk's callback, ends the walk early without an error.
var StopWalk = errors.New("stop walking")

// Table is one bucket of records seen through a transaction, typed by the caller's own value type V.
// Values are stored as a version byte and V's JSON encoding (see record.go), so V may gain fields
// without a migration; a field removed or renamed needs one. Get it from an accessor (Subjects[V](tx),
// Cursors...), in a View for reading or in an Update for writing; it is valid until the transaction
// ends. Everything it returns is a copy and may be kept.
type Table[V any] struct {
	tx   *Tx
	name []byte
	seq  bool // keys are sequence numbers (messages name them as numbers)
}

func tableOf[V any](tx *Tx, name []byte) Table[V] { return Table[V]{tx: tx, name: name} }

func seqTableOf[V any](tx *Tx, name []byte) SeqTable[V] {
	return SeqTable[V]{Table[V]{tx: tx, name: name, seq: true}}
}

// where names a record in messages: "outbox 12", "subjects ALPHA/101-001".
func (t Table[V]) where(k []byte) string {
	if n, ok := Key(k).Seq(); ok && t.seq {
		return fmt.Sprintf("%s %d", t.name, n)
	}
	return fmt.Sprintf("%s %s", t.name, Key(k))
}

func (t Table[V]) bucket() (*bolt.Bucket, error) {
	if b := t.tx.bucket(t.name); b != nil {
		return b, nil
	}
	return nil, fmt.Errorf("store %s: bucket %s missing; run trialsync audit verify", t.tx.db.path, t.name)
}

// Get returns the record under k; ok is false when there is none.
func (t Table[V]) Get(k Key) (v V, ok bool, err error) {
	b, err := t.bucket()
	if err != nil {
		return v, false, err
	}
	raw := b.Get(k)
	if raw == nil {
		return v, false, nil
	}
	if err := getJSON(raw, &v); err != nil {
		return v, false, fmt.Errorf("%s: %w", t.where(k), err)
	}
	return v, true, nil
}

// Put stores v under k, replacing any record there.
func (t Table[V]) Put(k Key, v V) error {
	b, err := t.bucket()
	if err != nil {
		return err
	}
	if err := putJSON(b, k, v); err != nil {
		return fmt.Errorf("%s: %w", t.where(k), err)
	}
	return nil
}

// Delete removes the record under k; a missing record is not an error.
func (t Table[V]) Delete(k Key) error {
	b, err := t.bucket()
	if err != nil {
		return err
	}
	if err := b.Delete(k); err != nil {
		return fmt.Errorf("%s: %w", t.where(k), err)
	}
	return nil
}

// Walk calls fn for every record whose key lies under prefix (equal to it or extending it by whole
// parts: NewKey("S1") selects S1's records, never S10's), in key order; a nil prefix walks them all.
// fn may return StopWalk to end early. fn must not write to the table it walks.
func (t Table[V]) Walk(prefix Key, fn func(k Key, v V) error) error {
	b, err := t.bucket()
	if err != nil {
		return err
	}
	c := b.Cursor()
	for k, raw := c.Seek(prefix); k != nil && prefix.covers(k); k, raw = c.Next() {
		var v V
		if err := getJSON(raw, &v); err != nil {
			return fmt.Errorf("%s: %w", t.where(k), err)
		}
		if err := fn(Key(bytes.Clone(k)), v); err != nil {
			if errors.Is(err, StopWalk) {
				return nil
			}
			return err
		}
	}
	return nil
}

// NextSequence returns the table's next number, from 1. The counter lives in the bucket, so a number
// drawn in a transaction that fails is drawn again by the next one: it is unique among committed records.
func (t Table[V]) NextSequence() (uint64, error) {
	b, err := t.bucket()
	if err != nil {
		return 0, err
	}
	return b.NextSequence()
}

// SeqTable is a Table keyed by sequence number (ARCHITECTURE.md's "sequence" buckets: quarantine,
// outbox): records listed in the order they were added.
type SeqTable[V any] struct{ t Table[V] }

// NextID draws the next sequence number, for a record that holds its own ID: draw, fill, Put.
func (s SeqTable[V]) NextID() (uint64, error) { return s.t.NextSequence() }

// Add stores v under the next sequence number and returns that number.
func (s SeqTable[V]) Add(v V) (uint64, error) {
	id, err := s.NextID()
	if err != nil {
		return 0, err
	}
	return id, s.Put(id, v)
}

// Get returns record id; ok is false when there is none.
func (s SeqTable[V]) Get(id uint64) (V, bool, error) { return s.t.Get(SeqKey(id)) }

// Put stores v as record id, replacing it.
func (s SeqTable[V]) Put(id uint64, v V) error { return s.t.Put(SeqKey(id), v) }

// Delete removes record id; a missing record is not an error.
func (s SeqTable[V]) Delete(id uint64) error { return s.t.Delete(SeqKey(id)) }

// Walk calls fn for every record numbered above after, in order; fn may return StopWalk.
func (s SeqTable[V]) Walk(after uint64, fn func(id uint64, v V) error) error {
	b, err := s.t.bucket()
	if err != nil {
		return err
	}
	if after == math.MaxUint64 {
		return nil
	}
	c := b.Cursor()
	for k, raw := c.Seek(SeqKey(after + 1)); k != nil; k, raw = c.Next() {
		id, ok := Key(k).Seq()
		if !ok {
			return fmt.Errorf("%s: key %x is not a sequence number", s.t.name, k)
		}
		var v V
		if err := getJSON(raw, &v); err != nil {
			return fmt.Errorf("%s: %w", s.t.where(k), err)
		}
		if err := fn(id, v); err != nil {
			if errors.Is(err, StopWalk) {
				return nil
			}
			return err
		}
	}
	return nil
}
