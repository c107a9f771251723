package ravepull

import (
	"cmp"
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

// commit writes consecutive parts (a dataset batch) with their quarantined fragments, the cursor
// (moved by each part's move, when not nil, in order) and one audit entry per part, and returns how
// many rows of each part changed the store. Everything commits in one
// transaction, unless writing the rows would modify more than txNodes pages (rows scattered over a
// large store): then rows go first in transactions of their own, and the last transaction carries
// the rest with the fragments, cursor and entries. Those earlier rows are upserts, so a crash between
// the transactions re-applies them harmlessly from the unmoved cursor. bulk marks a commit that is not
// its feed's last for now (see store.Tx.Bulk).
func (e *Engine) commit(ctx context.Context, st Study, feed string, parts []part, bulk bool) ([]int, error) {
	run := e.runOf(st, feed, parts)
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
			return e.finish(tx, st, feed, parts, run, "written", run.Written())
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

// stage writes a group of audit pages in one transaction: its rows (sorted) as one staged run (see
// store.Tx.StageClinical), its quarantined fragments, one audit entry per page and the cursor. Staging
// appends to the file whatever the rows' keys, so a group of interleaved subjects costs one sequential
// write instead of rewriting thousands of B-tree pages; the rows are merged into the clinical values
// later, in large sorted sweeps (merge). It returns the bytes staged.
func (e *Engine) stage(ctx context.Context, st Study, parts []part) (int64, error) {
	kept := make([]int, len(parts))
	for i := range parts {
		kept[i] = parts[i].rows.Len() // before the run takes the rows over
	}
	run := e.runOf(st, FeedAudit, parts)
	var staged int64
	err := e.opts.DB.Update(ctx, func(tx *store.Tx) error {
		var err error
		if staged, err = tx.StageClinical(st.OID, run); err != nil {
			return err
		}
		return e.finish(tx, st, FeedAudit, parts, run, "staged", kept)
	})
	return staged, err
}

// Merging staged rows: each transaction modifies at most txNodes existing pages (as a scattered run
// does) and puts at most mergeTxBytes of keys and values (a first load appends, and bbolt holds every
// new page until the commit). A pull merges once its staged rows reach mergeAt or half the store file
// (whichever is larger: each merge then writes at most about as much as it merges, so a merge costs
// little more per row however large the store), and always before it ends.
const (
	mergeTxBytes = 8 << 20
	mergeAt      = 1 << 30
)

// merge moves the study's staged rows into the clinical values (store.Tx.MergeStaged), in as many
// transactions as that takes; the last one of each merge records one audit entry with its counts.
// Readers see the same values before, during and after it. A merge cut short by a crash goes on from
// its last commit; runs staged after it began (a pull resumed after the crash) are merged next. It
// returns how many rows changed a stored value.
func (e *Engine) merge(ctx context.Context, st Study) (int, error) {
	written := 0
	for {
		var pending bool
		if err := e.opts.DB.View(ctx, func(tx *store.Tx) error { pending = tx.HasStaged(st.OID); return nil }); err != nil {
			return written, err
		}
		if !pending {
			return written, nil
		}
		n, runs, err := e.mergeOnce(ctx, st)
		written += n
		if err != nil {
			return written, fmt.Errorf("merging staged rows: %w", err)
		}
		if runs == 0 {
			// Staged entries that no merge can read: going round again would change nothing.
			return written, fmt.Errorf("merging staged rows of %s: the store is %w: its staged rows cannot be read", st.OID, store.ErrDamaged)
		}
	}
}

// mergeOnce runs one merge of the study's staged runs to its end, and returns the rows it wrote and
// the runs it merged.
func (e *Engine) mergeOnce(ctx context.Context, st Study) (int, int, error) {
	m := store.NewClinicalMerge(st.OID)
	maxBytes := cmp.Or(e.mergeBytes, mergeTxBytes)
	for !m.Done() {
		err := e.opts.DB.Update(ctx, func(tx *store.Tx) error {
			if err := tx.MergeStaged(m, txNodes, maxBytes); err != nil {
				return err
			}
			if e.inMerge != nil {
				e.inMerge(m.Done())
			}
			runs, rows, written := m.Counts()
			if !m.Done() || runs == 0 {
				tx.Bulk() // the last one rewrites bbolt's free list
				return nil
			}
			_, err := tx.Append(store.Entry{RunID: e.opts.RunID, Actor: e.opts.Actor, Action: store.ActionPullMerge,
				Object: st.OID + "/" + FeedAudit, New: fmt.Sprintf("runs=%d rows=%d written=%d", runs, rows, written),
				Reason: "rows staged by earlier pages merged into the clinical values"})
			return err
		})
		if err != nil {
			return 0, 0, err
		}
		// The commit read back what it freed and rewrote: drop it before the next transaction.
		if err := e.opts.DB.TrimResident(); err != nil {
			return 0, 0, err
		}
	}
	runs, _, written := m.Counts()
	return written, runs, nil
}

// runOf logs the parts about to be committed and returns one run of their rows.
func (e *Engine) runOf(st Study, feed string, parts []part) *store.ClinicalRun {
	rows := make([]*store.ClinicalBatch, len(parts))
	for i, p := range parts {
		e.opts.Log.Debug().Str("correlation_id", p.corr).Str("study", st.OID).Str("feed", feed).Int("rows", p.read).
			Int("quarantined", len(p.quarantined)).Str("url", p.url).Msg(p.action)
		rows[i] = &parts[i].rows
	}
	return store.NewClinicalRun(rows)
}

// finish writes what follows a group's (or batch's) rows in its last transaction: the run's rows in
// the dashboard's hourly figures, quarantined fragments, one audit entry per part (its rows read, and
// counted[i] of them written or staged, as counting says), and the cursor.
func (e *Engine) finish(tx *store.Tx, st Study, feed string, parts []part, run *store.ClinicalRun, counting string, counted []int) error {
	if err := tx.CountPulledRun(run, time.Now()); err != nil {
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
			Object: st.object(feed), Old: old,
			New:    fmt.Sprintf("rows=%d %s=%d quarantined=%d cursor=%s", p.read, counting, counted[i], len(p.quarantined), c.Next+c.Start),
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
