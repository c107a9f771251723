package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// ErrStagedPending refuses a write straight to the clinical bucket while the study has staged rows not
// yet merged: they are older than the write, and merging them afterwards would apply them after it.
// Merge first (Tx.MergeStaged until Done).
var ErrStagedPending = errors.New("the study has staged rows not yet merged into the clinical bucket")

// ClinicalMerge carries one study's merge of staged runs from transaction to transaction. What the store
// records (how far the merge has gone, its counts) is what counts: each transaction resumes from it,
// so a merge cut short by a crash goes on from its last commit, and merging a row again is never needed.
// The ClinicalMerge only remembers where each run's reader stood, so that the next transaction need
// not search for it.
type ClinicalMerge struct {
	study         string
	done          bool
	runs          int
	rows, written int
	at            mergeState           // the store's state as this merge last committed it
	pos           map[uint64]readerPos // each run's reader by run, as of at
	floor         residentFloor
	removeEach    int // chunks removed per transaction: removeChunks, fewer in tests
}

type readerPos struct {
	chunk uint32 // the chunk (its number in the run) and offset of the current row
	off   int
	done  bool // the run is merged to its end
}

// NewClinicalMerge starts (or resumes) the merge of a study's staged runs: every run staged before its
// first transaction, in order. Runs staged while it goes on wait for the next merge.
func NewClinicalMerge(study string) *ClinicalMerge {
	return &ClinicalMerge{study: study, removeEach: removeChunks}
}

// Done reports whether every run has been merged and removed.
func (m *ClinicalMerge) Done() bool { return m.done }

// Counts are the runs merged, the rows they held and how many of those changed the clinical bucket,
// over the whole merge (across processes, when it was resumed). Final once Done.
func (m *ClinicalMerge) Counts() (runs, rows, written int) { return m.runs, m.rows, m.written }

// MergeStaged moves the study's staged rows into the clinical bucket in key order, by Write's rules
// (each row in arrival order: skipped when the stored value says the same or came from a later audit
// record), from where the merge stands, in this transaction. It stops between two keys once the
// transaction has modified about maxNodes existing pages or put about maxBytes of keys and values
// (whichever comes first; zero: no limit), records how far it went, and leaves the rest to the next
// transaction. Once every row is merged, the next transactions remove the runs (removeChunks of their
// chunks each); the one that removes the last removes the merge state too, and then m is Done. A
// study with nothing staged is Done at once. A transaction that fails leaves m unusable; make a new
// one.
func (tx *Tx) MergeStaged(m *ClinicalMerge, maxNodes, maxBytes int) error {
	cb := tx.bucket(BucketClinical)
	if cb == nil {
		return fmt.Errorf("store %s: bucket %s missing; run trialsync audit verify", tx.db.path, BucketClinical)
	}
	cb.FillPercent = 0.9
	data, index, merges, err := tx.stagedBuckets(false)
	if err != nil {
		return err
	}
	if index == nil { // nothing was ever staged
		m.done = true
		return nil
	}
	st := &mergeState{}
	if v := merges.Get([]byte(m.study)); v != nil {
		var err error
		if st, err = decodeMergeState(v); err != nil {
			return err
		}
	}
	var runs []*stagedRun
	for _, r := range tx.stagedRuns(m.study) {
		if st.run == 0 || r.seq <= st.run {
			runs = append(runs, r)
		}
	}
	if st.merged {
		return m.removeRuns(tx, st, runs, data, index, merges)
	}
	if len(runs) == 0 {
		// A merge state with no run left to merge or remove (runs lost to damage) is removed with
		// it, so that HasStaged turns false and a caller looping on it ends.
		if merges.Get([]byte(m.study)) != nil {
			if err := merges.Delete([]byte(m.study)); err != nil {
				return err
			}
		}
		m.done = true
		return nil
	}
	if st.run == 0 {
		st.run, st.runs = runs[len(runs)-1].seq, uint64(len(runs))
	}
	merge, err := m.readers(runs, st)
	if err != nil {
		return err
	}

	look := cb.Cursor()
	last, _ := look.Last()
	last = bytes.Clone(last)
	startNodes := nodeCount(tx.btx)
	put, keys := 0, 0
	var prev []byte
	for k := merge.peek(); k != nil; k = merge.peek() {
		if maxBytes > 0 && put >= maxBytes {
			break
		}
		if keys++; keys%checkEvery == 0 {
			if maxNodes > 0 && int(nodeCount(tx.btx)-startNodes) >= maxNodes {
				break
			}
			// Staged chunks and looked-up pages fault in; drop them as they pile up. A look costs a
			// read of /proc and a drop a walk of the whole mapping, so both are spaced out: reading
			// every run at once keeps a stretch of each resident anyway.
			if keys%mergeTrimEvery == 0 {
				if err := m.floor.trim(tx.db, tx.btx); err != nil {
					return err
				}
			}
		}
		var cur []byte
		if last != nil && bytes.Compare(k, last) <= 0 {
			if ck, cv := look.Seek(k); bytes.Equal(ck, k) {
				cur = cv
			}
		}
		changed := false
		err := merge.take(k, func(v []byte) {
			st.rows++
			if cur == nil || supersedes(cur, v) {
				cur, changed = v, true
				st.written++
			}
		})
		if err != nil {
			return err
		}
		if changed {
			// k and cur lie in the store's mapped file: bbolt copies what it still holds before it
			// ever remaps.
			if err := cb.Put(k, cur); err != nil {
				return fmt.Errorf("clinical %q: %w", k, err)
			}
			put += len(k) + len(cur)
		}
		prev = k
	}
	// Chunks whose every row is merged now go in this same transaction: their pages are free for the
	// next ones to write the clinical bucket into, so that the file grows little past the larger of
	// the staged rows and the clinical values.
	reader := map[*stagedRun]*runReader{}
	for _, h := range merge.heap {
		reader[h.run] = h
	}
	left := false
	removed := 0
	for _, r := range runs {
		consumed := len(r.keys)
		if h := reader[r]; h != nil {
			consumed = h.ci
		}
		for j := 0; j < consumed; j++ {
			if removed == 4*m.removeEach {
				left = true
				break
			}
			if err := removeChunk(data, index, r.keys[j]); err != nil {
				return err
			}
			removed++
		}
	}
	if merge.peek() == nil {
		if !left {
			if err := merges.Delete([]byte(m.study)); err != nil {
				return err
			}
			m.runs, m.rows, m.written = int(st.runs), int(st.rows), int(st.written)
			m.done = true
			return m.floor.drop(tx.db, tx.btx)
		}
		// Every row is in the clinical bucket: the chunks left are removed by the next transactions
		// (removeRuns), which readers and later merges know from the state.
		st.merged, st.key = true, nil
	} else {
		st.key = bytes.Clone(prev)
	}
	if err := merges.Put([]byte(m.study), st.encode()); err != nil {
		return err
	}
	m.at = *st
	m.pos = map[uint64]readerPos{}
	for _, r := range runs {
		p := readerPos{done: true}
		if h := reader[r]; h != nil {
			p = readerPos{chunk: chunkNumber(r.keys[h.ci]), off: h.at}
		}
		m.pos[r.seq] = p
	}
	return m.floor.drop(tx.db, tx.btx)
}

// removeChunk removes one staged chunk and its index entry.
func removeChunk(data, index *bolt.Bucket, k []byte) error {
	if err := data.DeleteBucket(k); err != nil {
		return err
	}
	return index.Delete(k)
}

// chunkNumber is the chunk's number within its run, from its key.
func chunkNumber(k []byte) uint32 { return binary.BigEndian.Uint32(k[len(k)-4:]) }

// mergeTrimEvery is how many keys a merge moves between looks at the resident file-backed memory.
const mergeTrimEvery = 4 * checkEvery

// removeChunks is how many staged chunks one transaction removes: removing one reads its page's
// header, and the kernel maps a large stretch of the cached file around it (a whole chunk, often),
// so a transaction that removed thousands would hold hundreds of megabytes of the file resident.
const removeChunks = 16

// removeRuns removes the chunks of a merge's runs, removeChunks of them per transaction, once every
// row is merged; the transaction that removes the last one removes the state too, and m is Done.
func (m *ClinicalMerge) removeRuns(tx *Tx, st *mergeState, runs []*stagedRun, data, index, merges *bolt.Bucket) error {
	removed := 0
	for _, r := range runs {
		for _, k := range r.keys {
			if removed == m.removeEach {
				m.at, m.pos = *st, nil
				return m.floor.drop(tx.db, tx.btx)
			}
			if err := removeChunk(data, index, k); err != nil {
				return err
			}
			removed++
		}
	}
	if err := merges.Delete([]byte(m.study)); err != nil {
		return err
	}
	m.runs, m.rows, m.written = int(st.runs), int(st.rows), int(st.written)
	m.done = true
	return m.floor.drop(tx.db, tx.btx)
}

// readers positions a reader on every run past the merge's key: where the last transaction of this
// merge left them when the store still says what it committed, else by searching.
func (m *ClinicalMerge) readers(runs []*stagedRun, st *mergeState) (*runMerge, error) {
	merge := &runMerge{}
	same := st.key != nil && m.at.run == st.run && bytes.Equal(m.at.key, st.key) && m.pos != nil
	for _, run := range runs {
		r := &runReader{}
		p, ok := m.pos[run.seq]
		if same && ok && p.done {
			continue // merged to its end
		}
		ci := -1
		if same && ok {
			for j, k := range run.keys {
				if chunkNumber(k) == p.chunk {
					ci = j
				}
			}
		}
		if ci >= 0 {
			*r = runReader{run: run, ci: ci, off: p.off}
			if err := r.next(); err != nil {
				return nil, err
			}
		} else if err := r.start(run, st.key, nil); err != nil {
			return nil, fmt.Errorf("staged run %d of %s: %w", run.seq, run.study, err)
		}
		merge.add(r)
	}
	return merge, nil
}
