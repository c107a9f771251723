package ravepull

import (
	"context"
	"fmt"
	"time"

	"github.com/trialsync/trialsync/store"
)

func (e *Engine) cursor(ctx context.Context, st Study, feed string) (store.Cursor, error) {
	var c store.Cursor
	err := e.opts.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		c, _, err = tx.Cursor(st.OID, st.cursorSite(), feed)
		return err
	})
	return c, err
}

// part is what one audit entry records: an audit page, or a batch of a dataset answer.
type part struct {
	*batch
	url    string // the address fetched
	corr   string // correlation ID of the fetch
	action string // "pull.page", "pull.batch" or "pull.dataset"
	move   func(*store.Cursor)
}

// commit writes consecutive parts in a single transaction: their rows as one sorted run, their
// quarantined fragments, the cursor (moved by each part's move, when not nil, in order) and one audit
// entry per part. It returns how many rows of each part changed the store. bulk marks a commit that is
// not a feed's last for now (see store.Tx.Bulk).
func (e *Engine) commit(ctx context.Context, st Study, feed string, parts []part, bulk bool) ([]int, error) {
	var written []int
	for _, p := range parts {
		e.opts.Log.Debug().Str("correlation_id", p.corr).Str("study", st.OID).Str("feed", feed).Int("rows", p.read).
			Int("quarantined", len(p.quarantined)).Str("url", p.url).Msg(p.action)
	}
	rows := make([]*store.ClinicalBatch, len(parts))
	for i := range parts {
		rows[i] = &parts[i].rows
	}
	err := e.opts.DB.Update(ctx, func(tx *store.Tx) error {
		if bulk {
			tx.Bulk()
		}
		var err error
		if written, err = tx.Clinical().WriteEach(rows); err != nil {
			return err
		}
		for _, p := range parts {
			for _, q := range p.quarantined {
				if _, err := tx.Quarantine(q); err != nil {
					return err
				}
			}
		}
		c, _, err := tx.Cursor(st.OID, st.cursorSite(), feed)
		if err != nil {
			return err
		}
		for i, p := range parts {
			old := c.Next + c.Start
			if p.move != nil {
				p.move(&c)
			}
			c.Pages++
			c.Rows += uint64(p.read)
			_, err = tx.Append(store.Entry{RunID: e.opts.RunID, CorrelationID: p.corr, Actor: e.opts.Actor, Action: p.action,
				Object: st.OID + "/" + feed + st.siteSuffix(), Old: old,
				New:    fmt.Sprintf("rows=%d written=%d quarantined=%d cursor=%s", p.read, written[i], len(p.quarantined), c.Next+c.Start),
				Reason: "GET " + p.url + " 200", PayloadHash: p.pageHash})
			if err != nil {
				return err
			}
		}
		c.Updated = time.Now().UTC()
		if err := tx.PutCursor(st.OID, st.cursorSite(), feed, c); err != nil {
			return err
		}
		if e.inCommit != nil {
			e.inCommit(len(parts))
		}
		return nil
	})
	return written, err
}
