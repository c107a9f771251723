package ravepull

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/logging"
	"github.com/trialsync/trialsync/sync/rws"
)

// ErrNextCycle marks an audit feed whose next links lead back to a page already read in this pull: an
// endless feed, stopped instead of pulled for ever.
var ErrNextCycle = errors.New("the audit feed's next links form a cycle")

// PullAudit follows a study's ClinicalAuditRecords feed from its stored cursor to the last page.
// Consecutive pages commit together in groups (see Options.BatchRows and GroupWait), each group with the
// cursor of its last page and one audit entry per page, in one transaction; the group's rows are
// staged, and merged into the clinical values when many are staged and before the pull returns. When no next link remains,
// the cursor keeps the last page's own address, so that the next pull asks for it again and picks up
// records added since (re-applying its rows changes nothing).
//
// A next link is checked (Source.CheckNext) before it is stored. A refused link, or one leading back
// to a page already read in this pull, stops the feed with an error; the cursor then stays on the
// page that gave the link, never on the link itself.
func (e *Engine) PullAudit(ctx context.Context, st Study) (Result, error) {
	var res Result
	subjects, err := newSubjectIndex(ctx, e.opts.Source, st.OID)
	if err != nil {
		return res, fmt.Errorf("pull %s: subject listing: %w", st.OID, err)
	}
	cur, err := e.cursor(ctx, st, FeedAudit)
	if err != nil {
		return res, err
	}
	pool := newBatches()
	w := e.startGroups(ctx, st, &res, pool)
	if err := e.opts.DB.View(ctx, func(tx *store.Tx) error { w.staged = tx.StagedSize(st.OID); return nil }); err != nil {
		return res, err
	}
	err = cmp.Or(e.readAudit(ctx, st, cur.Next, cur.LastPageHash, subjects, w, pool), w.close())
	// What was staged is committed, pages and cursor with it, even when the feed stopped on an error:
	// merge it now so that the pull leaves the clinical values whole.
	if ctx.Err() == nil {
		written, merr := e.merge(ctx, st)
		res.Written += written
		err = cmp.Or(err, merr)
	}
	if err != nil {
		return res, fmt.Errorf("pull %s audit records: %w", st.OID, err)
	}
	e.report(Progress{Study: st.OID, Feed: FeedAudit, Pages: res.Pages, Rows: res.Rows, Written: res.Written, Quarantined: res.Quarantined, Done: true})
	return res, nil
}

// readAudit reads pages from link (the stored cursor; "" for the feed's start) and hands each to the
// group writer, until the last page, an error, or a refused or cyclic next link. Pages read before an
// error are still committed by the writer: they are whole, and the cursor moves only as far as they go.
func (e *Engine) readAudit(ctx context.Context, st Study, link, lastHash string, subjects *subjectIndex, w *groupWriter, pool batches) error {
	seen := map[string]bool{}
	var expect [2]int // rows and bytes of the previous page: pages of one feed are alike
	for first := true; ; first = false {
		var corr string
		var got *batch
		var page *rws.Page
		fetch := func() (*rws.Page, error) {
			corr = logging.NewCorrelationID() // ties this answer's audit entry to its log lines
			if link != "" {
				return e.opts.Source.FollowNext(ctx, link)
			}
			return e.opts.Source.AuditRecords(ctx, st.OID, 1, e.opts.PageSize)
		}
		err := e.readAnswer(ctx, fetch, func() *parser {
			subjects.newAnswer()
			return &parser{study: st, feed: FeedAudit, runID: e.opts.RunID, subjects: subjects, expect: expect, batches: pool}
		}, func(b *batch, p *rws.Page) error {
			got, page = b, p
			return nil
		})
		if err != nil {
			return err
		}
		expect = [2]int{got.rows.Len() + got.rows.Len()/8, got.rows.Size() + got.rows.Size()/8}
		here := link
		if here == "" {
			if here, err = e.opts.Source.CheckNext(page.URL); err != nil {
				return err
			}
		}
		seen[here] = true
		next, stop, linkErr := e.nextLink(page, here, seen)
		if first && next == link && got.pageHash == lastHash {
			return linkErr // the same last page again: nothing new
		}
		hash := got.pageHash
		move := func(c *store.Cursor) { c.Next, c.LastPageHash = next, hash }
		if err := w.add(part{batch: got, url: page.URL, corr: corr, action: store.ActionPullPage, move: move}); err != nil {
			return err
		}
		if stop || linkErr != nil {
			return linkErr
		}
		link = next
	}
}

// nextLink decides where the feed goes after a page read from here: its checked next link, or here
// again when it has none (stop) or when the link is refused or was already read in this pull (an error).
func (e *Engine) nextLink(page *rws.Page, here string, seen map[string]bool) (next string, stop bool, err error) {
	if page.Next == "" {
		return here, true, nil
	}
	next, err = e.opts.Source.CheckNext(page.Next)
	if err != nil {
		return here, true, fmt.Errorf("%s gave a next link that was refused: %w", page.URL, err)
	}
	if seen[next] {
		return here, true, fmt.Errorf("%w: %s links back to %s", ErrNextCycle, page.URL, next)
	}
	return next, false, nil
}
