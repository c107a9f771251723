package ravepull

import (
	"context"
	"fmt"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/rws"
)

// PullDataset pulls a study's regular dataset changed since the stored start time. The answer commits
// in batches of about BatchRows rows, split only between subjects; the cursor moves to the time Rave
// reported (X-MWS-CV-Last-Updated, else the request's start) with the last batch only.
func (e *Engine) PullDataset(ctx context.Context, st Study) (Result, error) {
	var res Result
	cur, err := e.cursor(ctx, st.OID, FeedDataset)
	if err != nil {
		return res, err
	}
	var since time.Time
	if cur.Start != "" {
		if since, err = time.Parse(rws.StartTimeLayout, cur.Start); err != nil {
			return res, fmt.Errorf("pull %s dataset: stored start %q: %w", st.OID, cur.Start, err)
		}
	}
	var asked time.Time
	fetch := func() (*rws.Page, error) {
		asked = time.Now().UTC()
		return e.opts.Feed.Dataset(ctx, st.OID, "", since)
	}
	err = e.readAnswer(ctx, fetch, func() *parser {
		return &parser{study: st, feed: FeedDataset, runID: e.opts.RunID, split: e.opts.BatchRows}
	}, func(b *batch, page *rws.Page) error {
		for i := range b.quarantined {
			b.quarantined[i].Source = st.OID + " dataset " + page.URL
		}
		var move func(*store.Cursor)
		action := "pull.batch"
		if b.last {
			action = "pull.dataset"
			next := asked.Format(rws.StartTimeLayout)
			if t, err := rws.ParseLastUpdated(page.LastUpdated); err == nil && page.LastUpdated != "" {
				next = t.Format(rws.StartTimeLayout)
			}
			move = func(c *store.Cursor) { c.Start, c.LastPageHash = next, b.pageHash }
		}
		n, err := e.commit(ctx, st.OID, FeedDataset, b, action, page.URL, move)
		if err == nil {
			err = e.opts.DB.TrimResident() // keep RSS flat while the file grows by gigabytes
		}
		res.Pages++
		res.Rows += b.read
		res.Written += n
		res.Quarantined += len(b.quarantined)
		e.report(Progress{Study: st.OID, Feed: FeedDataset, Pages: res.Pages, Rows: res.Rows, Written: res.Written, Quarantined: res.Quarantined, Done: b.last})
		return err
	})
	if err != nil {
		return res, fmt.Errorf("pull %s dataset: %w", st.OID, err)
	}
	return res, nil
}
