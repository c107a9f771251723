package checklist

import (
	"context"
	"slices"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/outbox"
)

// Overview is a study's checklist items as the store holds them after the last reconciliations,
// grouped by outcome, for the Checklists screen.
type Overview struct {
	Study string
	// Sites are every site the store knows an item of, sorted (the screen's filter).
	Sites []string
	// InSync are the items both systems agree on, with nothing on its way.
	InSync []Key
	// InFlight are the items whose writes are on their way.
	InFlight []InFlight
	// Conflicts are the open conflicts, oldest first.
	Conflicts []OpenConflict
	// Gaps and Unmapped are the items the last run could not reconcile, with their raw records.
	Gaps, Unmapped []Found
}

// InFlight is an item with a decision whose writes are on their way.
type InFlight struct {
	Key Key
	Pending
	// Stuck says, for each queued write whose message will not go without a person (dead: refused, or
	// out of attempts), why; keyed by message ID.
	Stuck map[uint64]string
}

// Found is an item with a finding.
type Found struct {
	Key Key
	Finding
}

// Look reads the overview of study, only site's items when site is not "".
func Look(ctx context.Context, db *store.DB, study, site string) (Overview, error) {
	ov := Overview{Study: study}
	sites := map[string]bool{}
	open := map[Key]bool{}
	cs, err := Conflicts(ctx, db, study, false)
	if err != nil {
		return ov, err
	}
	for _, c := range cs {
		sites[c.Key.Site] = true
		open[c.Key] = true
		if site == "" || c.Key.Site == site {
			ov.Conflicts = append(ov.Conflicts, c)
		}
	}
	err = db.View(ctx, func(tx *store.Tx) error {
		return store.Baselines[ItemState](tx).Walk(store.NewKey(pair(study)), func(k store.Key, s ItemState) error {
			parts := k.Parts()
			if len(parts) != 3 {
				return nil
			}
			key := Key{Site: parts[1], Code: parts[2]}
			sites[key.Site] = true
			if site != "" && key.Site != site {
				return nil
			}
			switch {
			case s.Pending != nil:
				f := InFlight{Key: key, Pending: *s.Pending}
				if err := stuckWrites(tx, &f); err != nil {
					return err
				}
				ov.InFlight = append(ov.InFlight, f)
			case s.Finding != nil && s.Finding.Outcome == OutcomeGap:
				ov.Gaps = append(ov.Gaps, Found{Key: key, Finding: *s.Finding})
			case s.Finding != nil:
				ov.Unmapped = append(ov.Unmapped, Found{Key: key, Finding: *s.Finding})
			case s.Agreed != nil && !open[key]:
				ov.InSync = append(ov.InSync, key)
			}
			return nil
		})
	})
	for s := range sites {
		ov.Sites = append(ov.Sites, s)
	}
	slices.Sort(ov.Sites)
	return ov, err
}

// stuckWrites notes the queued writes of f whose outbox message is dead and not discarded.
func stuckWrites(tx *store.Tx, f *InFlight) error {
	for _, w := range f.Writes {
		if w.State != WriteQueued {
			continue
		}
		m, ok, err := store.Outbox[outbox.Message](tx).Get(w.Message)
		if err != nil {
			return err
		}
		if ok && m.State == outbox.Dead && !m.Discarded {
			if f.Stuck == nil {
				f.Stuck = map[uint64]string{}
			}
			f.Stuck[w.Message] = m.Error
		}
	}
	return nil
}

// Oldest is when the oldest open conflict of the overview was opened (zero when none).
func (ov *Overview) Oldest() time.Time {
	var t time.Time
	for _, c := range ov.Conflicts {
		if t.IsZero() || c.Opened.Before(t) {
			t = c.Opened
		}
	}
	return t
}

// Baselines returns study's agreed baselines by item, as the store holds them now.
func Baselines(ctx context.Context, db *store.DB, study string) (map[Key]Baseline, error) {
	var st *state
	err := db.View(ctx, func(tx *store.Tx) error {
		var err error
		st, err = readState(tx, study)
		return err
	})
	if err != nil {
		return nil, err
	}
	return st.baselines, nil
}
