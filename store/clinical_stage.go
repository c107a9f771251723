package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Staged runs: rows written ahead of the clinical bucket.
//
// An audit-records feed interleaves a study's subjects, so a group of its pages would put its rows into
// thousands of places of the clinical B-tree, and every such commit rewrites thousands of pages. A
// group is staged instead: its rows, sorted, are appended to BucketStaged as one run (a few contiguous
// values of about stageChunk bytes), one sequential write committed with the group's cursor and audit
// entries. Runs are merged into the clinical bucket later, in large sorted sweeps that write each page
// of the clinical bucket once (Tx.MergeStaged). Readers see the clinical bucket with the staged runs
// merged in (clinicalView), so staged rows are visible from the commit that staged them, and a merge,
// which spans many transactions, is never seen half done.
//
// Layout of BucketStaged: three buckets within it, created with the first run.
//
//	runs:   study 0x00 run(8, big-endian) chunk(4, big-endian) -> a bucket: "c" -> stageVersion | rows(4) | rows
//	index:  the same keys                                       -> stageVersion | uvarint rows | uvarint size | first key
//	merges: study                                               -> the merge in progress (mergeState)
//
// where each row is uvarint key length | key | uvarint value length | value, with the clinical
// bucket's key and value encodings, in key order within a run (equal keys in arrival order). Runs are
// numbered by the bucket's sequence, so a later run holds later rows. The index lists the runs and
// where each chunk starts without touching the chunks themselves: a chunk is read only when its rows
// are (the kernel maps a large stretch of cached file around every fault). Each chunk has a bucket
// of its own, so that it has a page of its own: removing a merged chunk then frees its pages without
// rewriting a neighbour that shared its page.

const (
	stageVersion = 1
	// stageChunk is about the size of one staged value: large enough that a run is a few contiguous
	// writes, small enough that finding a key within a chunk (a scan from its start) stays cheap.
	stageChunk = 256 << 10
	runKeyLen  = 8 + 4
)

// stagePrefix is the part of BucketStaged's keys that holds a study's runs.
func stagePrefix(study string) []byte { return append([]byte(study), 0) }

// Buckets within BucketStaged, and the key of a chunk within its bucket.
var (
	chunkValueKey      = []byte("c")
	stagedRunsBucket   = []byte("runs")
	stagedIndexBucket  = []byte("index")
	stagedMergesBucket = []byte("merges")
)

// stagedBuckets returns the buckets within BucketStaged, creating them when create is set (in an
// Update); nil ones when they do not exist yet.
func (tx *Tx) stagedBuckets(create bool) (runs, index, merges *bolt.Bucket, err error) {
	top := tx.bucket(BucketStaged)
	if top == nil {
		return nil, nil, nil, fmt.Errorf("store %s: bucket %s missing; run trialsync audit verify", tx.db.path, BucketStaged)
	}
	get := func(name []byte) (*bolt.Bucket, error) {
		if b := top.Bucket(name); b != nil || !create {
			return b, nil
		}
		return top.CreateBucket(name)
	}
	if runs, err = get(stagedRunsBucket); err == nil {
		if index, err = get(stagedIndexBucket); err == nil {
			merges, err = get(stagedMergesBucket)
		}
	}
	return runs, index, merges, err
}

// StageClinical appends the run's rows to the study's staged rows, as one run, in this transaction.
// They are visible to readers from this commit on; Tx.MergeStaged moves them into the clinical bucket.
// The run is written whole (Done afterwards); what each row changes is known only when it is merged,
// so its Written counts stay zero. It returns the bytes staged.
func (tx *Tx) StageClinical(study string, r *ClinicalRun) (int64, error) {
	runs, index, _, err := tx.stagedBuckets(true)
	if err != nil {
		return 0, err
	}
	runs.FillPercent, index.FillPercent = 1, 1 // both only ever append
	seq, err := tx.bucket(BucketStaged).NextSequence()
	if err != nil {
		return 0, err
	}
	key := binary.BigEndian.AppendUint64(stagePrefix(study), seq)
	size := stageChunk
	if tx.db.chunk > 0 {
		size = tx.db.chunk
	}
	var staged int64
	var chunk, first []byte
	rows, chunks := 0, uint32(0)
	put := func() error {
		binary.BigEndian.PutUint32(chunk[1:5], uint32(rows)) // the header's fixed-width row count
		k := binary.BigEndian.AppendUint32(slices.Clip(key), chunks)
		cb, err := runs.CreateBucket(k)
		if err == nil {
			err = cb.Put(chunkValueKey, chunk) // bbolt keeps chunk until the commit: a new one follows
		}
		if err != nil {
			return fmt.Errorf("staged run %d: %w", seq, err)
		}
		entry := binary.AppendUvarint([]byte{stageVersion}, uint64(rows))
		entry = binary.AppendUvarint(entry, uint64(len(chunk)))
		if err := index.Put(k, append(entry, first...)); err != nil {
			return fmt.Errorf("staged run %d: %w", seq, err)
		}
		staged += int64(len(chunk))
		chunks++
		chunk, rows = nil, 0
		return nil
	}
	for i := r.next; i < len(r.recs); i++ {
		rec := &r.recs[i]
		if chunk == nil {
			chunk = make([]byte, 5, size+len(rec.key)+len(rec.val)+2*binary.MaxVarintLen32)
			chunk[0] = stageVersion
			first = rec.key
		}
		chunk = binary.AppendUvarint(chunk, uint64(len(rec.key)))
		chunk = append(chunk, rec.key...)
		chunk = binary.AppendUvarint(chunk, uint64(len(rec.val)))
		chunk = append(chunk, rec.val...)
		if rows++; len(chunk) >= size {
			if err := put(); err != nil {
				return 0, err
			}
		}
	}
	if chunk != nil {
		if err := put(); err != nil {
			return 0, err
		}
	}
	r.next = len(r.recs)
	return staged, nil
}

// StagedSize is the number of bytes of the study's staged rows not yet merged, as stored (runs a merge
// in progress has partly moved count whole).
func (tx *Tx) StagedSize(study string) int64 {
	var n int64
	for _, run := range tx.stagedRuns(study) {
		for _, size := range run.sizes {
			n += int64(size)
		}
	}
	return n
}

// HasStaged reports whether the study has staged rows not yet merged. Writes straight to the clinical
// bucket must wait until they are merged: staged rows are older, and would otherwise be applied after
// newer ones.
func (tx *Tx) HasStaged(study string) bool {
	_, index, _, err := tx.stagedBuckets(false)
	if err != nil || index == nil {
		return false
	}
	p := stagePrefix(study)
	k, _ := index.Cursor().Seek(p)
	return k != nil && bytes.HasPrefix(k, p)
}

// stagedRun is one run as listed by the index, in a transaction.
type stagedRun struct {
	study string
	seq   uint64
	data  *bolt.Bucket // the runs bucket, in the transaction that listed the run
	keys  [][]byte     // chunk keys (copies)
	first [][]byte     // each chunk's first key (copies)
	sizes []int        // each chunk's bytes
}

// chunk reads chunk i of the run.
func (r *stagedRun) chunk(i int) ([]byte, error) {
	var c []byte
	if b := r.data.Bucket(r.keys[i]); b != nil {
		c = b.Get(chunkValueKey)
	}
	if len(c) < 5 || c[0] != stageVersion {
		return nil, fmt.Errorf("staged run %d of %s, chunk %d: %w", r.seq, r.study, i, errRecord)
	}
	return c, nil
}

// stagedRuns lists the study's runs in order; study "" lists every study's.
func (tx *Tx) stagedRuns(study string) []*stagedRun {
	data, index, _, err := tx.stagedBuckets(false)
	if err != nil || index == nil {
		return nil
	}
	var runs []*stagedRun
	c := index.Cursor()
	var k, v []byte
	var prefix []byte
	if study == "" {
		k, v = c.First()
	} else {
		prefix = stagePrefix(study)
		k, v = c.Seek(prefix)
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		z := bytes.IndexByte(k, 0)
		if z < 0 || len(k)-z-1 != runKeyLen || len(v) < 1 || v[0] != stageVersion {
			continue // not a chunk's entry
		}
		_, n := binary.Uvarint(v[1:])
		if n <= 0 {
			continue
		}
		size, m := binary.Uvarint(v[1+n:])
		if m <= 0 {
			continue
		}
		seq := binary.BigEndian.Uint64(k[z+1:])
		if l := len(runs); l == 0 || runs[l-1].seq != seq || runs[l-1].study != string(k[:z]) {
			runs = append(runs, &stagedRun{study: string(k[:z]), seq: seq, data: data})
		}
		run := runs[len(runs)-1]
		run.keys = append(run.keys, bytes.Clone(k))
		run.first = append(run.first, bytes.Clone(v[1+n+m:]))
		run.sizes = append(run.sizes, int(size))
	}
	return runs
}

// runReader reads one staged run row by row, in key order.
type runReader struct {
	run      *stagedRun
	chunk    []byte // chunk ci, once read
	ci, at   int    // chunk and offset of the current row
	off      int    // offset of the next row in chunk ci
	key, val []byte // the current row; key is nil once the run is read to its end
}

// start positions the reader on the run's first row whose key is above after (nil: no such bound) and
// at or above from (nil: no such bound), skipping whole chunks by their first key.
func (r *runReader) start(run *stagedRun, after, from []byte) error {
	*r = runReader{run: run}
	above := func(k []byte) bool { // k is past both bounds
		return (after == nil || bytes.Compare(k, after) > 0) && (from == nil || bytes.Compare(k, from) >= 0)
	}
	if after != nil || from != nil {
		// Chunks before the last one whose first key is not past the bounds hold no key past them.
		lo := 0
		for hi := len(run.first) - 1; lo < hi; {
			if mid := (lo + hi + 1) / 2; !above(run.first[mid]) {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		r.ci = lo
	}
	r.off = 5
	for {
		if err := r.next(); err != nil || r.key == nil || above(r.key) {
			return err
		}
	}
}

// next moves to the next row.
func (r *runReader) next() error {
	for {
		if r.ci == len(r.run.keys) {
			r.key, r.val = nil, nil
			return nil
		}
		if r.chunk == nil {
			var err error
			if r.chunk, err = r.run.chunk(r.ci); err != nil {
				return err
			}
		}
		if r.off < len(r.chunk) {
			break
		}
		r.ci++
		r.off, r.chunk = 5, nil
	}
	var err error
	r.at = r.off
	r.key, r.val, r.off, err = chunkRow(r.chunk, r.off)
	return err
}

// chunkRow decodes the row at off of a staged chunk and returns the offset after it.
func chunkRow(chunk []byte, off int) (key, val []byte, next int, err error) {
	if len(chunk) < 5 || chunk[0] != stageVersion {
		return nil, nil, 0, fmt.Errorf("staged chunk: %w", errRecord)
	}
	key, rest, ok := nextField(chunk[off:])
	if ok {
		val, rest, ok = nextField(rest)
	}
	if !ok || len(key) == 0 {
		return nil, nil, 0, fmt.Errorf("staged chunk at offset %d: %w", off, errRecord)
	}
	return key, val, len(chunk) - len(rest), nil
}

// runMerge merges runs into one sequence of keys: for each key, every row of every run in run order
// (rows of one run in their order), which is the order they arrived in. It is a binary heap of the
// runs' readers that remembers which child of the top is the smaller: rows of one subject lie
// together in each run, so the top reader usually stays on top as it advances, and that costs one
// comparison instead of a walk down the heap.
type runMerge struct {
	heap   []*runReader // by key, then run
	second int          // index of the smaller child of the top; 0 when not known
}

func (m *runMerge) less(a, b *runReader) bool {
	if c := bytes.Compare(a.key, b.key); c != 0 {
		return c < 0
	}
	return a.run.seq < b.run.seq
}

// add takes a positioned reader (dropped when already at its end).
func (m *runMerge) add(r *runReader) {
	if r.key == nil {
		return
	}
	m.heap = append(m.heap, r)
	for i := len(m.heap) - 1; i > 0; {
		p := (i - 1) / 2
		if !m.less(m.heap[i], m.heap[p]) {
			break
		}
		m.heap[i], m.heap[p] = m.heap[p], m.heap[i]
		i = p
	}
	m.second = 0
}

// peek is the smallest key still to come, nil at the end.
func (m *runMerge) peek() []byte {
	if len(m.heap) == 0 {
		return nil
	}
	return m.heap[0].key
}

// take calls fn with every row whose key is key (the smallest), in arrival order, and moves past them.
func (m *runMerge) take(key []byte, fn func(val []byte)) error {
	for len(m.heap) > 0 {
		top := m.heap[0]
		fn(top.val)
		if err := top.next(); err != nil {
			return err
		}
		if top.key == nil {
			last := len(m.heap) - 1
			m.heap[0] = m.heap[last]
			m.heap = m.heap[:last]
			m.second = 0
			m.down(0)
		} else if len(m.heap) > 1 {
			if m.second == 0 {
				m.second = 1
				if len(m.heap) > 2 && m.less(m.heap[2], m.heap[1]) {
					m.second = 2
				}
			}
			if m.less(m.heap[m.second], top) {
				m.second = 0
				m.down(0)
			}
		}
		if len(m.heap) == 0 || !bytes.Equal(m.heap[0].key, key) {
			return nil
		}
	}
	return nil
}

func (m *runMerge) down(i int) {
	for n := len(m.heap); ; {
		l := 2*i + 1
		if l >= n {
			return
		}
		s := l
		if r := l + 1; r < n && m.less(m.heap[r], m.heap[l]) {
			s = r
		}
		if !m.less(m.heap[s], m.heap[i]) {
			return
		}
		m.heap[i], m.heap[s] = m.heap[s], m.heap[i]
		i = s
	}
}

// mergeState is a study's merge in progress: the runs it merges (up to run, runs of them), how far
// (every row of those runs with a key up to key is in the clinical bucket; all of them once merged,
// when only the runs' removal is left), and its counts so far.
type mergeState struct {
	run                 uint64
	runs, rows, written uint64
	merged              bool
	key                 []byte // nil before the first key is merged, and once merged
}

const (
	mergeHasKey = 1 << iota
	mergeMerged
)

func (s *mergeState) encode() []byte {
	b := []byte{stageVersion}
	b = binary.BigEndian.AppendUint64(b, s.run)
	b = binary.AppendUvarint(b, s.runs)
	b = binary.AppendUvarint(b, s.rows)
	b = binary.AppendUvarint(b, s.written)
	var flags byte
	if s.key != nil {
		flags |= mergeHasKey
	}
	if s.merged {
		flags |= mergeMerged
	}
	return append(append(b, flags), s.key...)
}

func decodeMergeState(b []byte) (*mergeState, error) {
	bad := fmt.Errorf("staged merge state: %w", errRecord)
	if len(b) < 9 || b[0] != stageVersion {
		return nil, bad
	}
	s := &mergeState{run: binary.BigEndian.Uint64(b[1:9])}
	rest := b[9:]
	for _, n := range []*uint64{&s.runs, &s.rows, &s.written} {
		var k int
		if *n, k = binary.Uvarint(rest); k <= 0 {
			return nil, bad
		}
		rest = rest[k:]
	}
	if len(rest) < 1 {
		return nil, bad
	}
	s.merged = rest[0]&mergeMerged != 0
	if rest[0]&mergeHasKey != 0 {
		s.key = bytes.Clone(rest[1:])
	}
	return s, nil
}

// mergeStates reads every study's merge in progress, by study.
func (tx *Tx) mergeStates() (map[string]*mergeState, error) {
	_, _, merges, err := tx.stagedBuckets(false)
	if err != nil || merges == nil {
		return nil, err
	}
	states := map[string]*mergeState{}
	err = merges.ForEach(func(k, v []byte) error {
		s, err := decodeMergeState(v)
		if err != nil {
			return fmt.Errorf("merge of %s: %w", k, err)
		}
		states[string(k)] = s
		return nil
	})
	return states, err
}

// openRuns positions a reader on every staged run of study ("" for all), past what a merge in
// progress has already moved into the clinical bucket, and from the first key at or above from (nil:
// the start).
func (tx *Tx) openRuns(study string, from []byte) (*runMerge, error) {
	runs := tx.stagedRuns(study)
	m := &runMerge{}
	if len(runs) == 0 {
		return m, nil
	}
	states, err := tx.mergeStates()
	if err != nil {
		return nil, err
	}
	for _, run := range runs {
		var after []byte
		if s := states[run.study]; s != nil && run.seq <= s.run {
			if s.merged {
				continue // merged whole, waiting to be removed
			}
			after = s.key
		}
		r := &runReader{}
		if err := r.start(run, after, from); err != nil {
			return nil, fmt.Errorf("staged run %d of %s: %w", run.seq, run.study, err)
		}
		m.add(r)
	}
	return m, nil
}

// FileSize is the store file's size as this transaction sees it: what a merge of staged rows, which
// writes about as much as the clinical bucket holds, is weighed against.
func (tx *Tx) FileSize() int64 { return tx.btx.Size() }
