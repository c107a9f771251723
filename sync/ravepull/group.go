package ravepull

import (
	"context"
	"time"
)

// groupWriter collects whole audit pages into groups and commits each group in one transaction on its
// own goroutine, so that the next pages are fetched and parsed while a group is written. A group closes
// at BatchRows rows read or GroupWait after its first page, whichever comes first: a fast feed commits
// few large sorted runs, a slow remote still commits about once a GroupWait.
type groupWriter struct {
	e   *Engine
	ctx context.Context
	st  Study
	res *Result // updated by the committer; read after close

	open   []part
	rows   int
	opened time.Time

	groups chan []part
	failed chan struct{} // closed when a commit fails; err says why
	done   chan struct{}
	err    error
}

func (e *Engine) startGroups(ctx context.Context, st Study, res *Result) *groupWriter {
	w := &groupWriter{e: e, ctx: ctx, st: st, res: res,
		groups: make(chan []part), failed: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

// add puts a page into the open group, handing the group to the committer once it is full. It returns
// the committer's error once a commit has failed.
func (w *groupWriter) add(p part) error {
	if len(w.open) == 0 {
		w.opened = time.Now()
	}
	w.open = append(w.open, p)
	w.rows += p.read
	if w.rows >= w.e.opts.BatchRows || time.Since(w.opened) >= w.e.opts.GroupWait {
		return w.flush()
	}
	return nil
}

func (w *groupWriter) flush() error {
	if len(w.open) == 0 {
		return nil
	}
	g := w.open
	w.open, w.rows = nil, 0
	select {
	case w.groups <- g:
		return nil
	case <-w.failed:
		return w.err
	}
}

// close commits the open group, waits for the committer and returns the first commit error.
func (w *groupWriter) close() error {
	_ = w.flush() // a failure is w.err
	close(w.groups)
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
	written, err := e.commit(w.ctx, w.st, FeedAudit, g, false)
	if err != nil {
		return err
	}
	for i, p := range g {
		w.res.Pages++
		w.res.Rows += p.read
		w.res.Written += written[i]
		w.res.Quarantined += len(p.quarantined)
	}
	r := w.res
	e.report(Progress{Study: w.st.OID, Feed: FeedAudit, Pages: r.Pages, Rows: r.Rows, Written: r.Written, Quarantined: r.Quarantined})
	return e.opts.DB.TrimResident() // keep RSS flat while the file grows
}
