package ravepull

import (
	"context"
	"fmt"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/logging"
	"github.com/trialsync/trialsync/sync/rws"
)

// PullAudit follows a study's ClinicalAuditRecords feed from its stored cursor to the last page. Each
// page commits with its cursor and audit entry in one transaction. When no next link remains, the
// cursor keeps the last page's own address, so that the next pull asks for it again and picks up
// records added since (re-applying its rows changes nothing).
func (e *Engine) PullAudit(ctx context.Context, st Study) (Result, error) {
	var res Result
	subjects, err := newSubjectIndex(ctx, e.opts.Source, st.OID)
	if err != nil {
		return res, fmt.Errorf("pull %s: subject listing: %w", st.OID, err)
	}
	for {
		cur, err := e.cursor(ctx, st, FeedAudit)
		if err != nil {
			return res, err
		}
		var corr string
		fetch := func() (*rws.Page, error) {
			corr = logging.NewCorrelationID() // ties this answer's audit entry to its log lines
			if cur.Next != "" {
				return e.opts.Source.FollowNext(ctx, cur.Next)
			}
			return e.opts.Source.AuditRecords(ctx, st.OID, 1, e.opts.PageSize)
		}
		var next string
		var stop bool
		err = e.readAnswer(ctx, fetch, func() *parser {
			subjects.newAnswer()
			return &parser{study: st, feed: FeedAudit, runID: e.opts.RunID, subjects: subjects}
		}, func(b *batch, page *rws.Page) error {
			next = page.Next
			if next == "" {
				next = page.URL
				stop = true
			}
			if next == cur.Next && b.pageHash == cur.LastPageHash {
				return nil // the same last page again: nothing new
			}
			n, err := e.commit(ctx, st, FeedAudit, b, corr, store.ActionPullPage, page.URL, func(c *store.Cursor) {
				c.Next, c.LastPageHash = next, b.pageHash
			})
			res.Pages++
			res.Rows += b.read
			res.Written += n
			res.Quarantined += len(b.quarantined)
			e.report(Progress{Study: st.OID, Feed: FeedAudit, Pages: res.Pages, Rows: res.Rows, Written: res.Written, Quarantined: res.Quarantined})
			return err
		})
		if err != nil {
			return res, fmt.Errorf("pull %s audit records: %w", st.OID, err)
		}
		if stop || next == cur.Next {
			e.report(Progress{Study: st.OID, Feed: FeedAudit, Pages: res.Pages, Rows: res.Rows, Written: res.Written, Quarantined: res.Quarantined, Done: true})
			return res, nil
		}
	}
}

func (e *Engine) cursor(ctx context.Context, st Study, feed string) (store.Cursor, error) {
	var c store.Cursor
	err := e.opts.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		c, _, err = tx.Cursor(st.OID, st.cursorSite(), feed)
		return err
	})
	return c, err
}

// commit writes one batch, its quarantined fragments, the cursor change (when move is not nil) and one
// audit entry in a single transaction, and returns how many rows changed the store.
func (e *Engine) commit(ctx context.Context, st Study, feed string, b *batch, corr, action, url string, move func(*store.Cursor)) (int, error) {
	written := 0
	e.opts.Log.Debug().Str("correlation_id", corr).Str("study", st.OID).Str("feed", feed).Int("rows", b.read).
		Int("quarantined", len(b.quarantined)).Str("url", url).Msg(action)
	err := e.opts.DB.Update(ctx, func(tx *store.Tx) error {
		if move == nil {
			tx.Bulk() // a batch before an answer's last: the last commit rewrites bbolt's free list
		}
		var err error
		if written, err = tx.Clinical().Write(&b.rows); err != nil {
			return err
		}
		if err := tx.CountPulled(&b.rows, time.Now()); err != nil { // the dashboard's hourly figures
			return err
		}
		for _, q := range b.quarantined {
			if _, err := tx.Quarantine(q); err != nil {
				return err
			}
		}
		c, _, err := tx.Cursor(st.OID, st.cursorSite(), feed)
		if err != nil {
			return err
		}
		old := c.Next + c.Start
		if move != nil {
			move(&c)
		}
		c.Pages++
		c.Rows += uint64(b.read)
		c.Updated = time.Now().UTC()
		if err := tx.PutCursor(st.OID, st.cursorSite(), feed, c); err != nil {
			return err
		}
		_, err = tx.Append(store.Entry{RunID: e.opts.RunID, CorrelationID: corr, Actor: e.opts.Actor, Action: action, Object: st.OID + "/" + feed + st.siteSuffix(),
			Old: old, New: fmt.Sprintf("rows=%d written=%d quarantined=%d cursor=%s", b.read, written, len(b.quarantined), c.Next+c.Start),
			Reason: "GET " + url + " 200", PayloadHash: b.pageHash})
		return err
	})
	return written, err
}
