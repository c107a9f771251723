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
	action string // store.ActionPullPage, ActionPullBatch or ActionPullDataset
	move   func(*store.Cursor)
}

// txNodes bounds the B-tree pages one transaction modifies. bbolt holds each modified page until the
// commit: its node, a new page buffer, and the mapped original, which the commit reads back (and the
// kernel maps up to 64 KiB of cached file around each such read). 1,024 of them keep a transaction's
// share of the pull's memory near 30 MiB however scattered its rows are; rows clustered by subject (a
// dataset batch, a group of pages of a few hundred subjects) modify fewer.
const txNodes = 512

// commit writes consecutive parts (a group of audit pages, or one dataset batch) with their quarantined
// fragments, the cursor (moved by each part's move, when not nil, in order) and one audit entry per
// part, and returns how many rows of each part changed the store. Everything commits in one
// transaction, unless writing the rows would modify more than txNodes pages (rows scattered over a
// large store): then rows go first in transactions of their own, and the last transaction carries
// the rest with the fragments, cursor and entries. Those earlier rows are upserts, so a crash between
// the transactions re-applies them harmlessly from the unmoved cursor. bulk marks a commit that is not
// its feed's last for now (see store.Tx.Bulk).
func (e *Engine) commit(ctx context.Context, st Study, feed string, parts []part, bulk bool) ([]int, error) {
	for _, p := range parts {
		e.opts.Log.Debug().Str("correlation_id", p.corr).Str("study", st.OID).Str("feed", feed).Int("rows", p.read).
			Int("quarantined", len(p.quarantined)).Str("url", p.url).Msg(p.action)
	}
	rows := make([]*store.ClinicalBatch, len(parts))
	for i := range parts {
		rows[i] = &parts[i].rows
	}
	run := store.NewClinicalRun(rows)
	for {
		err := e.opts.DB.Update(ctx, func(tx *store.Tx) error {
			if err := tx.Clinical().WriteRun(run, txNodes); err != nil {
				return err
			}
			if !run.Done() {
				tx.Bulk() // rows only: the last transaction rewrites bbolt's free list
				return nil
			}
			if bulk {
				tx.Bulk()
			}
			if err := tx.CountPulledRun(run, time.Now()); err != nil { // the dashboard's hourly figures
				return err
			}
			return e.finish(tx, st, feed, parts, run.Written())
		})
		if err != nil {
			return nil, err
		}
		if run.Done() {
			return run.Written(), nil
		}
		if err := e.opts.DB.TrimResident(); err != nil {
			return nil, err
		}
	}
}

// finish writes what follows a group's (or batch's) rows in its last transaction: quarantined
// fragments, one audit entry per part, and the cursor.
func (e *Engine) finish(tx *store.Tx, st Study, feed string, parts []part, written []int) error {
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
}
