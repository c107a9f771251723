package checklist

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/trialsync/trialsync/store"
)

// Options configure a Reconciler.
type Options struct {
	DB     *store.DB
	Engine *Engine
	// EDC and CTMS are the two systems' clients.
	EDC, CTMS *Remote
	// Study is the study_id both systems list the checklists of.
	Study string
	Log   zerolog.Logger
	// Queued is called after a transaction that queued writes has committed, so that delivery starts
	// at once (the agent passes the outbox's Notify); nil for none.
	Queued func()
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Reconciler runs the reconciliations of one study between one EDC and one CTMS: it reads both
// listings whole, the stored baselines and open conflicts, plans with the Engine, and commits each
// decision — its writes queued to the outbox, its conflict, its finding, its baseline — in one store
// transaction with its audit entries. It never sends anything itself: the outbox delivers the writes
// (Sender), and a decision's baseline is stored only once every one of its writes is settled.
type Reconciler struct {
	o Options
}

// NewReconciler checks o and returns the reconciler.
func NewReconciler(o Options) (*Reconciler, error) {
	switch {
	case o.DB == nil || o.Engine == nil:
		return nil, errors.New("checklist: a reconciler needs a store and an engine")
	case o.EDC == nil || o.CTMS == nil:
		return nil, errors.New("checklist: a reconciler needs both systems' clients")
	case o.EDC.System() != EDC || o.CTMS.System() != CTMS:
		return nil, errors.New("checklist: the EDC and CTMS clients are swapped")
	case o.Study == "":
		return nil, errors.New("checklist: a reconciler needs a study")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Reconciler{o: o}, nil
}

// Report is what one run decided and did.
type Report struct {
	// Counts are the items per outcome, as the summary line prints them. An item whose earlier
	// decision's writes are still on their way counts under that decision's outcome.
	Counts Counts
	// InFlight counts the items whose earlier decision's writes are still on their way (not planned
	// again until they settle).
	InFlight int
	// Queued is the writes this run queued.
	Queued int
	// Opened, Refreshed and Closed count conflicts: new ones, open ones whose sides changed, and open
	// ones that ended because both systems came to agree.
	Opened, Refreshed, Closed int
	// Moved counts the baselines stored or deleted at once, with no write needed.
	Moved int
	// Findings counts gaps and unmapped items newly found or changed.
	Findings int
	// Skipped counts decisions left to the next run because the item changed in the store while this
	// run planned (a person settled its conflict meanwhile).
	Skipped int
}

// Run reconciles once. A failure to list either system stops the run before anything is committed; a
// failure while committing leaves every decision either whole or not made, and the next run makes the
// missing ones again, with the same idempotency keys.
func (r *Reconciler) Run(ctx context.Context) (Report, error) {
	ops, rep, err := r.planListings(ctx)
	if err != nil {
		return Report{}, err
	}
	err = r.apply(ctx, ops, &rep)
	r.o.Log.Info().Str("study", r.o.Study).Str("counts", rep.Counts.String()).Int("queued", rep.Queued).
		Int("in_flight", rep.InFlight).Int("conflicts_opened", rep.Opened).Int("skipped", rep.Skipped).Err(err).Msg("reconciliation run")
	return rep, err
}

// state is what the store holds for the study when a run starts.
type state struct {
	baselines map[Key]Baseline
	pending   map[Key]*Pending
	findings  map[Key]*Finding
	open      map[Key]bool
	conflicts map[Key]*OpenConflict // the open ones
}

// load reads the study's item states and open conflicts. Pending decisions whose messages a person
// discarded are settled first (their writes dropped), so that those items are planned again. The
// store's pages it read are then dropped from the process's memory (the file keeps them).
func (r *Reconciler) load(ctx context.Context) (*state, error) {
	st, err := r.loadState(ctx)
	if err == nil {
		if err := r.o.DB.TrimResident(); err != nil {
			r.o.Log.Debug().Err(err).Msg("dropping the store's pages from memory")
		}
	}
	return st, err
}

func (r *Reconciler) loadState(ctx context.Context) (*state, error) {
	var st *state
	var lost []lostWrite
	err := r.o.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		st, err = readState(tx, r.o.Study)
		if err != nil {
			return err
		}
		lost, err = lostWrites(tx, r.o.Study, st.pending)
		return err
	})
	if err != nil || len(lost) == 0 {
		return st, err
	}
	if err := r.o.DB.Update(ctx, func(tx *store.Tx) error {
		for _, l := range lost {
			if err := settleWrite(tx, r.o.Study, l.key, l.message, WriteDropped, l.why, r.o.Now()); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	err = r.o.DB.View(ctx, func(tx *store.Tx) error {
		for _, l := range lost {
			s, _, err := store.Baselines[ItemState](tx).Get(itemKey(r.o.Study, l.key))
			if err != nil {
				return err
			}
			st.set(l.key, s)
		}
		return nil
	})
	return st, err
}

// readState reads every item state and open conflict of study.
func readState(tx *store.Tx, study string) (*state, error) {
	st := &state{baselines: map[Key]Baseline{}, pending: map[Key]*Pending{}, findings: map[Key]*Finding{},
		open: map[Key]bool{}, conflicts: map[Key]*OpenConflict{}}
	err := store.Baselines[ItemState](tx).Walk(store.NewKey(pair(study)), func(k store.Key, s ItemState) error {
		parts := k.Parts()
		if len(parts) != 3 {
			return fmt.Errorf("checklist: baseline key %s is not pair/site/code", k)
		}
		st.set(Key{Site: parts[1], Code: parts[2]}, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = store.Conflicts[OpenConflict](tx).Walk(store.NewKey(study), func(k store.Key, c OpenConflict) error {
		if c.IsOpen() {
			st.open[c.Key] = true
			st.conflicts[c.Key] = &c
		}
		return nil
	})
	return st, err
}

// set records item k's stored state.
func (st *state) set(k Key, s ItemState) {
	delete(st.baselines, k)
	delete(st.pending, k)
	delete(st.findings, k)
	if s.Agreed != nil {
		st.baselines[k] = *s.Agreed
	}
	if s.Pending != nil {
		st.pending[k] = s.Pending
	}
	if s.Finding != nil {
		st.findings[k] = s.Finding
	}
}
