package checklist

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trialsync/trialsync/store"
)

// ErrNoConflict is returned for a conflict ID that names no open conflict.
var ErrNoConflict = errors.New("no such open conflict")

// Conflicts returns the conflicts of study ("" for every study) in the store, the open ones only
// unless all is set, oldest first.
func Conflicts(ctx context.Context, db *store.DB, study string, all bool) ([]OpenConflict, error) {
	var out []OpenConflict
	var prefix store.Key
	if study != "" {
		prefix = store.NewKey(study)
	}
	err := db.View(ctx, func(tx *store.Tx) error {
		return store.Conflicts[OpenConflict](tx).Walk(prefix, func(_ store.Key, c OpenConflict) error {
			if all || c.IsOpen() {
				out = append(out, c)
			}
			return nil
		})
	})
	slices.SortStableFunc(out, func(a, b OpenConflict) int {
		return cmp.Or(a.Opened.Compare(b.Opened), cmp.Compare(len(a.ID), len(b.ID)), strings.Compare(a.ID, b.ID))
	})
	return out, err
}

// ConflictSummary counts the open conflicts and gives when the oldest was opened (zero when none),
// for the dashboard.
func ConflictSummary(ctx context.Context, db *store.DB) (open int, oldest time.Time, err error) {
	cs, err := Conflicts(ctx, db, "", false)
	if err != nil || len(cs) == 0 {
		return 0, time.Time{}, err
	}
	return len(cs), cs[0].Opened, nil
}

// Settle settles open conflict id on a person's behalf: take chooses a system for each conflicting
// field (TakeAll for one system throughout) and reason says why. In one transaction, whose audit
// entries name actor (the person's OS user): the writes that carry the chosen values across are queued
// (their baseline waits for them, as a reconciliation's do), and the conflict is closed with the
// values it held, the choice and the reason. The decision is returned; nothing is sent here.
//
// The writes start from the records the conflict's latest copy holds. If a system changed the item
// since, its write is dropped before it is sent (see Sender) and the next reconciliation decides again.
func Settle(ctx context.Context, db *store.DB, e *Engine, id string, take map[Field]System, reason, actor string) (Decision, error) {
	var d Decision
	err := db.UpdateAs(ctx, actor, func(tx *store.Tx) error {
		oc, err := findOpen(tx, id)
		if err != nil {
			return err
		}
		d, err = e.Resolve(&oc.Conflict, take, reason)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		t := store.Baselines[ItemState](tx)
		key := itemKey(oc.Study, oc.Key)
		st, _, err := t.Get(key)
		if err != nil {
			return err
		}
		if st.Pending != nil {
			return fmt.Errorf("conflict %s: item %s still has writes on their way; settle it once they are done", id, oc.Key)
		}
		switch {
		case len(d.Writes) > 0:
			if st.Pending, err = queueDecision(tx, e, oc.Study, &d, now, id); err != nil {
				return err
			}
		case d.DropBaseline:
			st.Agreed = nil
		case d.Baseline != nil:
			st.Agreed = d.Baseline
		}
		if err := closeConflict(tx, &oc, now, tx.Actor(), strings.TrimSpace(reason), take); err != nil {
			return err
		}
		return putState(t, key, st)
	})
	return d, err
}

// findOpen finds open conflict id in any study.
func findOpen(tx *store.Tx, id string) (OpenConflict, error) {
	var found *OpenConflict
	err := store.Conflicts[OpenConflict](tx).Walk(nil, func(_ store.Key, c OpenConflict) error {
		if c.ID == id && c.IsOpen() {
			found = &c
			return store.StopWalk
		}
		return nil
	})
	if err != nil {
		return OpenConflict{}, err
	}
	if found == nil {
		return OpenConflict{}, fmt.Errorf("conflict %s: %w (trialsync conflicts list shows the open ones)", id, ErrNoConflict)
	}
	return *found, nil
}
