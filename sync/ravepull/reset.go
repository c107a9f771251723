package ravepull

import (
	"context"
	"fmt"

	"github.com/trialsync/trialsync/store"
)

// ResetCursor forgets where one feed of st stands, so that its next pull starts from the beginning:
// the audit-records feed from the first page, the dataset from no start time. Nothing stored is
// removed, and re-applying what comes again changes nothing (rows are upserted by natural key). The
// deletion and its audit entry (the old position, who asked, and why) commit in one transaction. It
// returns the old position, or ok false when the feed had not started (nothing is written then).
//
// A pull of the same study running meanwhile would write its next position over the reset: the
// caller makes sure none is running.
func (e *Engine) ResetCursor(ctx context.Context, st Study, feed, actor, reason string) (old string, ok bool, err error) {
	if feed != FeedAudit && feed != FeedDataset {
		return "", false, fmt.Errorf("feed %q: want %s or %s", feed, FeedAudit, FeedDataset)
	}
	err = e.opts.DB.UpdateAs(ctx, actor, func(tx *store.Tx) error {
		c, found, err := tx.DeleteCursor(st.OID, st.cursorSite(), feed)
		if err != nil || !found {
			return err
		}
		ok, old = true, c.Next+c.Start
		_, err = tx.Append(store.Entry{RunID: e.opts.RunID, Action: store.ActionCursorReset,
			Object: st.object(feed), Old: old,
			New: fmt.Sprintf("from the beginning (was %d pages, %d rows)", c.Pages, c.Rows), Reason: reason})
		return err
	})
	if err != nil {
		return "", false, fmt.Errorf("reset %s %s position: %w", st.OID, feed, err)
	}
	return old, ok, nil
}
