package store

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// ClinicalRun is the rows of consecutive batches (a group of pages) in key order, to be upserted by
// one transaction or, when the rows are scattered over a large store, by several: bbolt keeps every
// page a transaction modifies in memory until it commits, and a run of corrections spread over the
// whole history would otherwise rewrite (and hold) most of the file at once.
type ClinicalRun struct {
	recs    []clinicalRec
	from    []int32 // batch of each row; nil when the run has one batch
	next    int     // first row not yet written
	written []int   // rows written, per batch
	floor   residentFloor
}

// NewClinicalRun puts the batches' rows in key order: batches not yet sorted (ClinicalBatch.Sort) are
// sorted here, then all are merged. Rows with equal keys keep their order, batch after batch, so that
// the later one is applied last. The run takes the batches' rows: the batches are empty afterwards,
// and must not be reused until the run is written.
func NewClinicalRun(bs []*ClinicalBatch) *ClinicalRun {
	r := &ClinicalRun{written: make([]int, len(bs))}
	for _, b := range bs {
		b.Sort()
	}
	if len(bs) == 1 {
		r.recs = bs[0].recs
	} else {
		r.recs, r.from = mergeBatches(bs)
	}
	for _, b := range bs {
		b.recs, b.taken = nil, b.recs // the run holds the rows now; the arena stays referenced through them
	}
	return r
}

// mergeBatches merges sorted batches into one sorted slice, taking equal keys in batch order; it
// returns each row's batch beside it. A group holds a handful of pages, so the smallest head is found
// by a scan of the heads rather than a heap.
func mergeBatches(bs []*ClinicalBatch) ([]clinicalRec, []int32) {
	n := 0
	for _, b := range bs {
		n += len(b.recs)
	}
	recs := make([]clinicalRec, 0, n)
	from := make([]int32, 0, n)
	heads := make([]int, len(bs))
	for len(recs) < n {
		best := -1
		for i, b := range bs {
			if heads[i] < len(b.recs) && (best < 0 || bytes.Compare(b.recs[heads[i]].key, bs[best].recs[heads[best]].key) < 0) {
				best = i
			}
		}
		// Take the best batch's rows while they stay below every other head (runs of one subject).
		b := bs[best]
		limit := len(b.recs)
		var bound []byte
		for i, o := range bs {
			if i != best && heads[i] < len(o.recs) && (bound == nil || bytes.Compare(o.recs[heads[i]].key, bound) < 0) {
				bound = o.recs[heads[i]].key
			}
		}
		h := heads[best]
		for h < limit {
			recs = append(recs, b.recs[h])
			from = append(from, int32(best))
			h++
			// Equal keys: a later batch's row goes after, so stop only when strictly above the bound,
			// or equal to it from a later batch (best's earlier batch index wins ties).
			if bound != nil && h < limit {
				if c := bytes.Compare(b.recs[h].key, bound); c > 0 || (c == 0 && !earliestAt(bs, heads, best, bound)) {
					break
				}
			}
		}
		heads[best] = h
	}
	return recs, from
}

// earliestAt reports whether batch best comes before every other batch whose head key equals key.
func earliestAt(bs []*ClinicalBatch, heads []int, best int, key []byte) bool {
	for i := 0; i < best; i++ {
		if heads[i] < len(bs[i].recs) && bytes.Equal(bs[i].recs[heads[i]].key, key) {
			return false
		}
	}
	return true
}

// Done reports whether every row of the run has been written.
func (r *ClinicalRun) Done() bool { return r.next == len(r.recs) }

// Written returns how many rows of each batch changed the store so far.
func (r *ClinicalRun) Written() []int { return r.written }

// checkEvery is how many rows a run writes between looks at the transaction's size, and how many
// lookups of stored keys it makes between looks at the process's resident file-backed memory: lookups
// of scattered keys fault in pages all over the store, and the kernel maps up to 64 KiB of cached file
// around every fault, so a large store would soon be mostly resident. Once that memory has grown trimSlack past its level after the last drop, the
// store's mapped pages are dropped again (dropping them at every look costs more in faults than it saves).
const (
	checkEvery = 256
	trimSlack  = 16 << 20
)

// WriteRun upserts the run's rows from where the last call stopped, with Write's rules. When maxNodes
// is above zero it stops, between two rows, once this transaction has modified about that many B-tree
// nodes (pages); the caller commits and calls again in a new transaction until Done. A transaction that
// fails leaves the run unusable. While the run's study has staged rows not yet merged it writes
// nothing and returns ErrStagedPending.
func (w *ClinicalWriter) WriteRun(r *ClinicalRun, maxNodes int) error {
	// Keys above the bucket's last key are new: no lookup needed (the common case of a first load,
	// where each batch's subjects sort after the previous batch's).
	// One cursor for every lookup: Seek walks from the root each time, so it sees the puts made since,
	// and reusing it saves an allocation per row.
	if r.next < len(r.recs) {
		// A run holds one study's rows, in key order: its first and last keys name its studies.
		for _, k := range [][]byte{r.recs[r.next].key, r.recs[len(r.recs)-1].key} {
			if study, _, _ := bytes.Cut(k, []byte{0}); w.tx.HasStaged(string(study)) {
				return fmt.Errorf("study %s: %w", study, ErrStagedPending)
			}
		}
	}
	look := w.b.Cursor()
	last, _ := look.Last()
	last = bytes.Clone(last)
	start := nodeCount(w.b.Tx())
	looked := 0
	for i := r.next; i < len(r.recs); i++ {
		if n := i - r.next; maxNodes > 0 && n > 0 && n%checkEvery == 0 && int(nodeCount(w.b.Tx())-start) >= maxNodes {
			r.next = i
			return r.floor.drop(w.db, w.b.Tx())
		}
		rec := &r.recs[i]
		if last == nil || bytes.Compare(rec.key, last) <= 0 {
			// Only lookups fault in pages of the stored file (appends touch its last path alone).
			if looked++; looked%checkEvery == 0 {
				if err := r.floor.trim(w.db, w.b.Tx()); err != nil {
					return err
				}
			}
			if k, old := look.Seek(rec.key); bytes.Equal(k, rec.key) && old != nil && !supersedes(old, rec.val) {
				continue
			}
		}
		if err := w.b.Put(rec.key, rec.val); err != nil {
			return fmt.Errorf("clinical %q: %w", rec.key, err)
		}
		if last != nil && bytes.Compare(rec.key, last) > 0 {
			last = rec.key // a repeat of this key later in the run must go through supersedes
		}
		r.written[r.batchOf(i)]++
	}
	r.next = len(r.recs)
	return r.floor.drop(w.db, w.b.Tx())
}

func (r *ClinicalRun) batchOf(i int) int {
	if r.from == nil {
		return 0
	}
	return int(r.from[i])
}

// nodeCount is how many B-tree nodes the transaction has modified (materialized) so far.
func nodeCount(tx *bolt.Tx) int64 {
	s := tx.Stats()
	return s.GetNodeCount()
}

// residentFloor is the process's resident file-backed memory right after the last drop of the
// store's mapped pages.
type residentFloor int64

// drop drops the store's mapped pages before the commit, which reads back the original of every page
// the transaction modified (faulting in their neighbours too): it starts from the pages the program
// needs rather than from those the lookups left behind.
func (f *residentFloor) drop(db *DB, tx *bolt.Tx) error {
	if err := db.dropMapped(tx.Size()); err != nil {
		return err
	}
	n, _ := residentShared()
	*f = residentFloor(n)
	return nil
}

// trim drops the store's mapped pages when the resident file-backed memory has grown trimSlack past
// its level after the last drop (or when it cannot be read).
func (f *residentFloor) trim(db *DB, tx *bolt.Tx) error {
	if cur, ok := residentShared(); ok && *f > 0 && cur < int64(*f)+trimSlack {
		return nil
	}
	return f.drop(db, tx)
}
