package ravepull

import (
	"context"
	"sync"
	"time"
)

// groupWriter collects whole audit pages into groups and commits each group in one transaction on its
// own goroutine (staging its rows, see Engine.stage), so that the next pages are fetched and parsed
// while a group is written; it merges the staged rows once they have grown large. A group closes
// at BatchRows rows read, or GroupWait after its first page arrived even if no other page has come
// since: a fast feed commits few large sorted runs, a slow remote still commits about once a GroupWait.
type groupWriter struct {
	e    *Engine
	ctx  context.Context
	st   Study
	res  *Result // updated by the committer; read after close
	pool batches // committed pages' batches go back here
	// staged counts the bytes of rows staged and not merged yet (with what an earlier pull left).
	staged int64

	mu    sync.Mutex // guards open, rows, timer and gen: the timer closes a group from its own goroutine
	open  []part
	rows  int
	timer *time.Timer
	gen   int // counts groups handed over, so that a late timer never closes the next group

	groups chan []part
	failed chan struct{} // closed when a commit fails; err says why
	done   chan struct{}
	err    error
}

func (e *Engine) startGroups(ctx context.Context, st Study, res *Result, pool batches) *groupWriter {
	w := &groupWriter{e: e, ctx: ctx, st: st, res: res, pool: pool,
		groups: make(chan []part), failed: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

// add puts a page into the open group, handing the group to the committer once it is full. It returns
// the committer's error once a commit has failed.
func (w *groupWriter) add(p part) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.open) == 0 {
		gen := w.gen
		w.timer = time.AfterFunc(w.e.opts.GroupWait, func() { w.expire(gen) })
	}
	w.open = append(w.open, p)
	w.rows += p.read
	if w.rows >= w.e.opts.BatchRows {
		return w.flushLocked()
	}
	return nil
}

// expire hands the open group to the committer once it has waited GroupWait for more pages; a failure
// is w.err, which the next add or close returns.
func (w *groupWriter) expire(gen int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if gen == w.gen {
		_ = w.flushLocked()
	}
}

func (w *groupWriter) flushLocked() error {
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	if len(w.open) == 0 {
		return nil
	}
	g := w.open
	w.open, w.rows = nil, 0
	w.gen++
	select {
	case w.groups <- g:
		return nil
	case <-w.failed:
		return w.err
	}
}

// close commits the open group, waits for the committer and returns the first commit error.
func (w *groupWriter) close() error {
	w.mu.Lock()
	_ = w.flushLocked() // a failure is w.err
	close(w.groups)
	w.mu.Unlock()
	<-w.done
	return w.err
}

func (w *groupWriter) run() {
	defer close(w.done)
	for g := range w.groups {
		if w.err != nil {
			continue // drain: nothing more is committed after a failure
		}
		if err := w.commit(g); err != nil {
			w.err = err
			close(w.failed)
		}
	}
}

func (w *groupWriter) commit(g []part) error {
	e := w.e
	staged, err := e.stage(w.ctx, w.st, g)
	if err != nil {
		return err
	}
	for _, p := range g {
		w.res.Pages++
		w.res.Rows += p.read
		w.res.Quarantined += len(p.quarantined)
		w.pool.put(p.batch)
	}
	w.staged += staged
	threshold := max(mergeAt, e.fileSize()/2)
	if e.mergeAt > 0 {
		threshold = e.mergeAt
	}
	if w.staged >= threshold {
		written, err := e.merge(w.ctx, w.st)
		if err != nil {
			return err
		}
		w.res.Written += written
		w.staged = 0
	}
	r := w.res
	e.report(Progress{Study: w.st.OID, Feed: FeedAudit, Pages: r.Pages, Rows: r.Rows, Written: r.Written, Quarantined: r.Quarantined})
	return e.opts.DB.TrimResident() // keep RSS flat while the file grows
}
