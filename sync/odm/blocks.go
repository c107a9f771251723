package odm

import "errors"

// blockFail reports an ODM structure problem at input offset at: the innermost enclosing block is
// skipped to its end and reported as a *BlockError. Outside any ClinicalData it is a plain *SyntaxError.
func (r *Reader) blockFail(at int64, msg string) error {
	se := r.s.errAtOffset(at, msg)
	be := &BlockError{Err: se}
	var depth int
	switch {
	case r.opts.level == BlockItemGroup && r.inside(eItemGroupData, r.group.depth):
		be.Block, be.Start, depth = "ItemGroupData", r.group.start, r.group.depth
	case r.inside(eSubjectData, r.subj.depth):
		be.Block, be.Start, depth = "SubjectData", r.subj.start, r.subj.depth
	case r.inside(eClinicalData, r.clin.depth):
		be.Block, be.Start, depth = "ClinicalData", r.clin.start, r.clin.depth
	default:
		return se
	}
	r.capOn = false
	r.s.keepText = false
	r.ar.owner = nil
	r.bad = be
	if depth == r.s.depth() && r.s.selfClose {
		// the block is this very tag, already complete
		r.skip = 0
		return r.finishBlock()
	}
	r.skip = depth
	return errBlockPending
}

// errBlockPending tells Next that a bad block is being skipped and its *BlockError comes at its end.
var errBlockPending = errors.New("odm: internal: block error pending")

// inside reports whether the element of code e at depth d is open (or is the current start tag).
func (r *Reader) inside(e elem, d int) bool {
	if d <= 0 || d > r.s.depth() {
		return false
	}
	if d <= len(r.frames) {
		return r.frames[d-1] == e
	}
	// the current start tag, not yet entered
	return d == r.s.depth() && r.s.elem == e && r.s.ns == nsODM
}

// finishBlock completes the *BlockError of a block whose end has just been read.
func (r *Reader) finishBlock() error {
	be := r.bad
	r.bad = nil
	w := &r.s.w
	be.End = r.s.offset()
	if r.opts.capture && w.keep >= 0 && w.keep <= be.Start && be.Start >= w.base {
		be.Fragment = w.buf[be.Start-w.base : be.End-w.base]
	}
	depth := r.s.depth()
	if len(r.frames) > depth {
		r.frames = r.frames[:depth]
	}
	switch be.Block {
	case "SubjectData", "ClinicalData":
		r.s.w.keep, r.s.w.alt = -1, -1
		r.subj.pending, r.event.pending, r.form.pending, r.group.pending = false, false, false, false
		if be.Block == "ClinicalData" {
			r.clin.study = ""
		}
	case "ItemGroupData":
		r.group.pending = false
	}
	return be
}
