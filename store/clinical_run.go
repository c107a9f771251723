package store

import (
	"bytes"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// ClinicalRun is the rows of consecutive batches (a group of pages) sorted by key, to be upserted by
// one transaction or, when the rows are scattered over a large store, by several: bbolt keeps every
// page a transaction modifies in memory until it commits, and a run of corrections spread over the
// whole history would otherwise rewrite (and hold) most of the file at once.
type ClinicalRun struct {
	recs    []groupRec
	next    int   // first row not yet written
	written []int // rows written, per batch
	floor   int64 // resident file-backed memory right after the last drop of mapped pages
}

// groupRec is a row of a run: from is its batch, seq its place in the run before sorting.
type groupRec struct {
	clinicalRec
	from, seq int32
}

// NewClinicalRun sorts the batches' rows by key; rows with equal keys keep their order, batch after
// batch, so that the later one is applied last. The run takes the batches' rows: the batches are empty
// afterwards, and must not be reused until the run is written.
func NewClinicalRun(bs []*ClinicalBatch) *ClinicalRun {
	n := 0
	for _, b := range bs {
		n += len(b.recs)
	}
	recs := make([]groupRec, 0, n)
	for i, b := range bs {
		for _, r := range b.recs {
			recs = append(recs, groupRec{r, int32(i), int32(len(recs))})
		}
		b.recs = nil // the run holds the rows now; the arena stays referenced through them
	}
	slices.SortFunc(recs, func(x, y groupRec) int {
		if c := bytes.Compare(x.key, y.key); c != 0 {
			return c
		}
		return int(x.seq - y.seq)
	})
	return &ClinicalRun{recs: recs, written: make([]int, len(bs))}
}

// Done reports whether every row of the run has been written.
func (r *ClinicalRun) Done() bool { return r.next == len(r.recs) }

// Written returns how many rows of each batch changed the store so far.
func (r *ClinicalRun) Written() []int { return r.written }

// checkEvery is how many rows a run writes between looks at the transaction's size and at the
// process's resident file-backed memory: lookups of scattered keys fault in pages all over the store,
// and the kernel maps up to 64 KiB of cached file around every fault, so a large store would soon be
// mostly resident. Once that memory has grown trimSlack past its level after the last drop, the
// store's mapped pages are dropped again (dropping them at every look costs more in faults than it saves).
const (
	checkEvery = 256
	trimSlack  = 16 << 20
)

// WriteRun upserts the run's rows from where the last call stopped, with Write's rules. When maxNodes
// is above zero it stops, between two rows, once this transaction has modified about that many B-tree
// nodes (pages); the caller commits and calls again in a new transaction until Done. A transaction that
// fails leaves the run unusable.
func (w *ClinicalWriter) WriteRun(r *ClinicalRun, maxNodes int) error {
	// Keys above the bucket's last key are new: no lookup needed (the common case of a first load,
	// where each batch's subjects sort after the previous batch's).
	// One cursor for every lookup: Seek walks from the root each time, so it sees the puts made since,
	// and reusing it saves an allocation per row.
	look := w.b.Cursor()
	last, _ := look.Last()
	last = bytes.Clone(last)
	start := nodeCount(w.b.Tx())
	for i := r.next; i < len(r.recs); i++ {
		if n := i - r.next; n > 0 && n%checkEvery == 0 {
			if maxNodes > 0 && int(nodeCount(w.b.Tx())-start) >= maxNodes {
				r.next = i
				return r.drop(w)
			}
			if err := r.trim(w); err != nil {
				return err
			}
		}
		rec := &r.recs[i]
		if last == nil || bytes.Compare(rec.key, last) <= 0 {
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
		r.written[rec.from]++
	}
	r.next = len(r.recs)
	return r.drop(w)
}

// nodeCount is how many B-tree nodes the transaction has modified (materialized) so far.
func nodeCount(tx *bolt.Tx) int64 {
	s := tx.Stats()
	return s.GetNodeCount()
}

// drop drops the store's mapped pages before the commit, which reads back the original of every page
// the transaction modified (faulting in their neighbours too): it starts from the pages the program
// needs rather than from those the lookups left behind.
func (r *ClinicalRun) drop(w *ClinicalWriter) error {
	if err := w.db.dropMapped(w.b.Tx().Size()); err != nil {
		return err
	}
	r.floor, _ = residentShared()
	return nil
}

// trim drops the store's mapped pages when the resident file-backed memory has grown trimSlack past
// its level after the last drop (or when it cannot be read).
func (r *ClinicalRun) trim(w *ClinicalWriter) error {
	if cur, ok := residentShared(); ok && r.floor > 0 && cur < r.floor+trimSlack {
		return nil
	}
	return r.drop(w)
}
