package rws

import "sort"

// idLayout places the study's audit records in the tenant-wide audit ID space. Audit IDs in Rave are
// global across studies, so a study's records come in runs separated by other studies' records
// (which this account cannot see: pages over them are sparse or empty), and now and then by long
// stretches of IDs that do not exist at all (the next link then jumps far ahead).
//
// Record k lies in chunk c = k / chunk. Before chunk c (c > 0) come: gap IDs of other studies; every
// wideEvery chunks a wide run of other studies' IDs (empty pages); every holeEvery chunks a hole of
// IDs that do not exist.
type idLayout struct {
	first     int64
	count     int64 // generated records
	chunk     int64
	gap       int64
	wideEvery int64
	wide      int64
	holeEvery int64
	hole      int64
}

func newIDLayout(seed int64, first, count int64) idLayout {
	r := uint64(seed)*0x9E3779B97F4A7C15 + 0x632BE59BD9B4E5
	next := func(n int64) int64 { r ^= r >> 31; r *= 0xBF58476D1CE4E5B9; r ^= r >> 29; return int64(r % uint64(n)) }
	if first < 1 {
		first = 1000 + next(9000)
	}
	return idLayout{
		first: first, count: count,
		chunk: 20 + next(40), gap: 1 + next(15),
		wideEvery: 7, wide: 2500 + next(500),
		holeEvery: 13, hole: 1_000_000 + next(1_000_000),
	}
}

// chunkStart is the audit ID of the first record of chunk c.
func (l idLayout) chunkStart(c int64) int64 {
	return l.first + c*l.chunk + c*l.gap + (c/l.wideEvery)*l.wide + (c/l.holeEvery)*l.hole
}

// id is the audit ID of generated record k.
func (l idLayout) id(k int64) int64 { return l.chunkStart(k/l.chunk) + k%l.chunk }

// firstAtOrAfter is the smallest k with id(k) >= x (count when none).
func (l idLayout) firstAtOrAfter(x int64) int64 {
	return int64(sort.Search(int(l.count), func(k int) bool { return l.id(int64(k)) >= x }))
}

// last is the highest generated ID (first-1 when there are no records).
func (l idLayout) last() int64 {
	if l.count == 0 {
		return l.first - 1
	}
	return l.id(l.count - 1)
}

// existingFrom is the smallest audit ID >= x that exists in the tenant (this study's or another's):
// x itself unless x falls in a hole, then the hole's end.
func (l idLayout) existingFrom(x int64) int64 {
	chunks := (l.count + l.chunk - 1) / l.chunk
	c := int64(sort.Search(int(chunks), func(c int) bool { return l.chunkStart(int64(c)) > x }))
	if c > 0 && c < chunks && c%l.holeEvery == 0 && x >= l.chunkStart(c)-l.hole {
		return l.chunkStart(c)
	}
	return x
}
