package ravepull

import (
	"context"
	"fmt"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/logging"
	"github.com/trialsync/trialsync/sync/rws"
)

// clockSkewMargin is how far before the local request time a dataset pull restarts when Rave gives no
// X-MWS-CV-Last-Updated.
const clockSkewMargin = time.Hour

// PullDataset pulls a study's regular dataset changed since the stored start time. The answer commits
// in batches of about BatchRows rows, split only between subjects; the cursor moves to the time Rave
// reported (X-MWS-CV-Last-Updated, else the request's start) with the last batch only.
func (e *Engine) PullDataset(ctx context.Context, st Study) (Result, error) {
	var res Result
	cur, err := e.cursor(ctx, st, FeedDataset)
	if err != nil {
		return res, err
	}
	// Rows an audit pull staged and left unmerged (it was stopped) are older than this answer: merge
	// them first, so that the answer's rows are applied after them.
	var pending bool
	if err := e.opts.DB.View(ctx, func(tx *store.Tx) error { pending = tx.HasStaged(st.OID); return nil }); err != nil {
		return res, err
	}
	if pending {
		if res.Written, err = e.merge(ctx, st); err != nil {
			return res, fmt.Errorf("pull %s dataset: %w", st.OID, err)
		}
	}
	var since time.Time
	if cur.Start != "" {
		if since, err = time.Parse(rws.StartTimeLayout, cur.Start); err != nil {
			return res, fmt.Errorf("pull %s dataset: stored start %q: %w", st.OID, cur.Start, err)
		}
	}
	var asked time.Time
	var corr string
	fetch := func() (*rws.Page, error) {
		asked = time.Now().UTC()
		corr = logging.NewCorrelationID() // one answer's batches share it
		return e.opts.Source.Dataset(ctx, st.OID, "", since)
	}
	pool := newBatches()
	err = e.readAnswer(ctx, fetch, func() *parser {
		return &parser{study: st, feed: FeedDataset, runID: e.opts.RunID, split: e.opts.BatchRows, batches: pool}
	}, func(b *batch, page *rws.Page) error {
		var move func(*store.Cursor)
		action := store.ActionPullBatch
		if b.last {
			action = store.ActionPullDataset
			// Rave's own clock says where the next pull starts. Without it, the request time less a
			// margin for clock skew: re-reading a window of changes is harmless, missing one is not.
			next := asked.Add(-clockSkewMargin).Format(rws.StartTimeLayout)
			if page.LastUpdated != "" {
				if t, err := rws.ParseLastUpdated(page.LastUpdated); err == nil {
					next = t.Format(rws.StartTimeLayout)
				} else {
					e.opts.Log.Warn().Str("header", page.LastUpdated).Msg("X-MWS-CV-Last-Updated unreadable; starting the next pull from the request time less the skew margin")
				}
			}
			move = func(c *store.Cursor) { c.Start, c.LastPageHash = next, b.pageHash }
		}
		written, err := e.commit(ctx, st, FeedDataset, []part{{batch: b, url: page.URL, corr: corr, action: action, move: move}}, move == nil)
		if err == nil {
			err = e.opts.DB.TrimResident() // keep RSS flat while the file grows by gigabytes
		}
		res.Pages++
		res.Rows += b.read
		if err == nil {
			res.Written += written[0]
		}
		res.Quarantined += len(b.quarantined)
		e.report(Progress{Study: st.OID, Feed: FeedDataset, Pages: res.Pages, Rows: res.Rows, Written: res.Written, Quarantined: res.Quarantined, Done: b.last})
		if err == nil {
			pool.put(b)
		}
		return err
	})
	if err != nil {
		return res, fmt.Errorf("pull %s dataset: %w", st.OID, err)
	}
	return res, nil
}
