package store

import (
	"bytes"
	"context"
	"fmt"
	"slices"

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

// ClinicalBatch holds encoded rows ready to be upserted: built on one goroutine (the parser), written
// on another (the committer). Keys and values live in one arena, so adding a row allocates nothing in
// the common case and the strings it was built from may be reused at once.
type ClinicalBatch struct {
	arena  []byte   // the chunk being filled: chunks[used-1]
	chunks [][]byte // every chunk of the arena, in the order they fill; a recycled batch refills them
	used   int
	recs   []clinicalRec
	taken  []clinicalRec // the row index a run took (NewClinicalRun), kept for Recycle
	size   int           // bytes of keys and values added
	sorted bool          // recs are in key order (Sort), so a run merges them instead of sorting
}

type clinicalRec struct{ key, val []byte }

const arenaChunk = 1 << 20

// Grow makes room for n more rows without reallocation.
func (b *ClinicalBatch) Grow(n int) { b.recs = slices.Grow(b.recs, n) }

// Reserve makes room for rows more rows of about bytes bytes of keys and values in all, so that a
// batch whose size is known from a similar one (the previous page of a feed) is allocated once.
func (b *ClinicalBatch) Reserve(rows, bytes int) {
	b.Grow(rows)
	room := cap(b.arena) - len(b.arena)
	for _, c := range b.chunks[b.used:] {
		room += cap(c)
	}
	if room < bytes {
		b.addChunk(bytes)
	}
}

// Recycle empties the batch for reuse and keeps its memory (the arena and the row index), so that
// the next batch of a feed allocates nothing: only once no transaction holds its rows any more (the
// run that took them is written and its transactions have ended), since the next rows overwrite them.
func (b *ClinicalBatch) Recycle() {
	if b.recs == nil {
		b.recs = b.taken
	}
	b.recs, b.taken = b.recs[:0], nil
	b.arena, b.used = nil, 0
	b.size, b.sorted = 0, false
}

// Size is the number of bytes of keys and values in the batch.
func (b *ClinicalBatch) Size() int { return b.size }

// Add encodes one row into the batch.
func (b *ClinicalBatch) Add(k *ClinicalKey, v *ClinicalValue) {
	var buf [512]byte
	key := b.keep(k.AppendKey(buf[:0]))
	val := b.keep(v.appendValue(buf[:0]))
	b.recs = append(b.recs, clinicalRec{key, val})
	b.sorted = false
}

// Sort puts the batch's rows in key order; rows with equal keys keep their order, so that the later
// one is applied last. A parser sorts each batch on its own goroutine before handing it over, so that
// the goroutine writing the store only merges sorted batches (NewClinicalRun). Rows that arrive nearly
// in order (a dataset, subject after subject) sort in little more than one pass.
func (b *ClinicalBatch) Sort() {
	if !b.sorted {
		slices.SortStableFunc(b.recs, func(x, y clinicalRec) int { return bytes.Compare(x.key, y.key) })
		b.sorted = true
	}
}

// Len is the number of rows in the batch.
func (b *ClinicalBatch) Len() int { return len(b.recs) }

// Filter keeps, among the rows from index from on, those for which keep(i) is true, where i counts from
// from; earlier rows are untouched. It is how a parser drops the rows of a block found bad after they
// were added.
func (b *ClinicalBatch) Filter(from int, keep func(i int) bool) {
	out := b.recs[:from]
	for i, r := range b.recs[from:] {
		if keep(i) {
			out = append(out, r)
		}
	}
	clear(b.recs[len(out):])
	b.recs = out
}

// Reset empties the batch for reuse once a transaction that used it has ended, and lets its arena go
// (see Recycle to keep it).
func (b *ClinicalBatch) Reset() {
	b.recs = b.recs[:0]
	b.arena, b.chunks, b.used, b.taken = nil, nil, 0, nil
	b.size = 0
	b.sorted = false
}

// keep copies p into the arena; the copy is not overwritten until the batch is recycled (bbolt holds
// references to put keys and values until commit).
func (b *ClinicalBatch) keep(p []byte) []byte {
	if len(b.arena)+len(p) > cap(b.arena) {
		b.nextChunk(len(p))
	}
	start := len(b.arena)
	b.arena = append(b.arena, p...)
	b.size += len(p)
	return b.arena[start:len(b.arena):len(b.arena)]
}

// nextChunk moves to the next chunk of the arena with room for need bytes: a recycled one, or a new
// one. New chunks grow from 4 KiB to 1 MiB, so a batch of one row (Upsert) holds little memory.
func (b *ClinicalBatch) nextChunk(need int) {
	for b.used < len(b.chunks) {
		c := b.chunks[b.used]
		b.used++
		if cap(c) >= need {
			b.arena = c[:0]
			return
		}
	}
	b.addChunk(max(min(2*cap(b.arena), arenaChunk), 4<<10, need))
}

func (b *ClinicalBatch) addChunk(size int) {
	c := make([]byte, 0, size)
	b.chunks = append(b.chunks[:b.used], c) // chunks past used (too small to be taken) are let go
	b.used = len(b.chunks)
	b.arena = c
}

// ClinicalWriter upserts rows into the clinical bucket within one transaction.
type ClinicalWriter struct {
	b  *bolt.Bucket
	db *DB
	tx *Tx
}

// Clinical returns a writer for the clinical bucket in this transaction.
func (tx *Tx) Clinical() *ClinicalWriter {
	b := tx.btx.Bucket(BucketClinical)
	b.FillPercent = 0.9
	return &ClinicalWriter{b: b, db: tx.db, tx: tx}
}

// Upsert stores one row; see Write for the rules. It reports whether anything was written.
func (w *ClinicalWriter) Upsert(k *ClinicalKey, v *ClinicalValue) (bool, error) {
	var b ClinicalBatch
	b.Add(k, v)
	n, err := w.Write(&b)
	return n == 1, err
}

// Write upserts every row of the batch, in key order (rows with equal keys keep their batch order, so
// the later one wins). A row is skipped when the stored value already says the same (ignoring which
// run or feed stored it), or was set by a later audit record (a larger numeric SourceID), so that
// re-applying any page leaves the bucket byte-for-byte as it was. It returns the number of rows written.
// The batch must not change until the transaction ends.
func (w *ClinicalWriter) Write(b *ClinicalBatch) (int, error) {
	n, err := w.WriteEach([]*ClinicalBatch{b})
	return n[0], err
}

// WriteEach upserts the rows of several batches (consecutive pages of a feed) as one run sorted by key,
// with Write's rules; rows with equal keys keep their order, batch after batch. It returns how many
// rows of each batch were written.
func (w *ClinicalWriter) WriteEach(bs []*ClinicalBatch) ([]int, error) {
	r := NewClinicalRun(bs)
	err := w.WriteRun(r, 0)
	return r.Written(), err
}

// Value layout: version | null flag | value | audit ID | user | time | reason | source | run ID. The
// fields before source are what the value says; source and run ID only say where it came from.
func (v *ClinicalValue) appendValue(dst []byte) []byte {
	dst = append(dst, clinicalVersion, 0)
	if v.IsNull {
		dst[len(dst)-1] = 1
	}
	return appendStrings(dst, v.Value, v.AuditID, v.User, v.Time, v.Reason, v.Source, v.RunID)
}

// supersedes reports whether the encoded incoming value should replace the stored one.
func supersedes(stored, incoming []byte) bool {
	sv, ok1 := splitValue(stored)
	iv, ok2 := splitValue(incoming)
	if !ok1 || !ok2 {
		return true // an unreadable stored value is repaired by any readable one
	}
	if bytes.Equal(sv.says, iv.says) {
		return false
	}
	if len(iv.auditID) == 0 && sv.null == iv.null && bytes.Equal(sv.value, iv.value) {
		return false // a dataset row that agrees keeps the audit information already stored
	}
	return !newerAudit(sv.auditID, iv.auditID)
}

type valueParts struct {
	null           bool
	value, auditID []byte
	says           []byte // flag through reason: what the value says
}

func splitValue(b []byte) (valueParts, bool) {
	var p valueParts
	if len(b) < 2 || b[0] != clinicalVersion {
		return p, false
	}
	p.null = b[1] == 1
	rest := b[2:]
	var fields [5][]byte // value, audit ID, user, time, reason: what the value says
	for i := range fields {
		var ok bool
		if fields[i], rest, ok = nextField(rest); !ok {
			return p, false
		}
	}
	p.value, p.auditID = fields[0], fields[1]
	p.says = b[1 : len(b)-len(rest)]
	return p, true
}

// newerAudit reports whether the stored value came from a later audit record than the incoming one.
func newerAudit(stored, incoming []byte) bool {
	s, ok1 := parseDigits(stored)
	i, ok2 := parseDigits(incoming)
	return ok1 && ok2 && s > i
}

func parseDigits(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// WalkClinical calls fn for every stored value in natural-key order, staged rows included (they are
// stored; see Tx.StageClinical).
func (db *DB) WalkClinical(ctx context.Context, fn func(ClinicalKey, ClinicalValue) error) error {
	return db.View(ctx, func(tx *Tx) error {
		n := 0
		return tx.walkClinical(nil, nil, func(k, v []byte) error {
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
			return fn(key, val)
		})
	})
}
