package checklist

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/store/storetest"
	"github.com/trialsync/trialsync/sync/outbox"
	simchecklist "github.com/trialsync/trialsync/sync/sim/checklist"
	"github.com/trialsync/trialsync/sync/sim/seed"
)

// harness is a reconciliation of one study against the two simulators, on a real store with the real
// outbox delivering its writes.
type harness struct {
	t         *testing.T
	db        *store.DB
	engine    *Engine
	edcSim    *simchecklist.Server
	ctmsSim   *simchecklist.Server
	edc, ctms *Remote
	rec       *Reconciler
	ob        *outbox.Outbox
	study     string
}

func newHarness(t *testing.T, edcOpts, ctmsOpts simchecklist.Options) *harness {
	t.Helper()
	h := &harness{t: t, db: storetest.Open(t, store.Options{}), engine: defaultEngine(t)}
	h.edcSim, h.ctmsSim = startSim(t, edcOpts), startSim(t, ctmsOpts)
	h.study = h.edcSim.Options().StudyID
	h.edc = newRemote(t, h.edcSim, h.engine.Adapter(EDC), 5)
	h.ctms = newRemote(t, h.ctmsSim, h.engine.Adapter(CTMS), 7)
	h.ob = outbox.New(h.db, outbox.Options{RetryInterval: 5 * time.Millisecond, MaxRetryInterval: 20 * time.Millisecond})
	h.ob.Register(outbox.KindChecklist, NewSender(Remotes(h.edc, h.ctms)), outbox.Policy{})
	var err error
	h.rec, err = NewReconciler(Options{DB: h.db, Engine: h.engine, EDC: h.edc, CTMS: h.ctms, Study: h.study, Queued: h.ob.Notify})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// seeded starts the demo study's two systems and stores the seed's baselines, so that its declared
// conflicts show.
func seeded(t *testing.T) *harness {
	t.Helper()
	st := demoStudy(t)
	h := newHarness(t, simchecklist.FromSeed(st, simchecklist.EDC), simchecklist.FromSeed(st, simchecklist.CTMS))
	var items []Item
	for _, ci := range st.ChecklistItems() {
		items = append(items, seedItem(ci, ci.Baseline))
	}
	if n, err := StoreBaselines(t.Context(), h.db, h.study, items); err != nil || n != len(items) {
		t.Fatalf("StoreBaselines: %d, %v", n, err)
	}
	return h
}

// seedItem is a seed item's values as a canonical item.
func seedItem(ci seed.ChecklistItem, v seed.ChecklistValues) Item {
	it := Item{Site: ci.Site, Code: ci.Code, Version: ci.Version, Status: Status(v.Status), EvidenceDocID: v.EvidenceDocID,
		PlannedActivationDate: Date(v.PlannedActivationDate), MilestoneSignedOff: FlagNo}
	if v.MilestoneSignedOff {
		it.MilestoneSignedOff = FlagYes
	}
	return it
}

func (h *harness) reconcile() Report {
	h.t.Helper()
	rep, err := h.rec.Run(h.t.Context())
	if err != nil {
		h.t.Fatalf("reconcile: %v", err)
	}
	return rep
}

func (h *harness) deliver() outbox.Report {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.t.Context(), time.Minute)
	defer cancel()
	rep, err := h.ob.Deliver(ctx, outbox.DeliverOptions{Kinds: []string{outbox.KindChecklist}})
	if err != nil {
		h.t.Fatalf("deliver: %v", err)
	}
	return rep
}

// run reconciles and delivers what the reconciliation queued.
func (h *harness) run() Report {
	h.t.Helper()
	rep := h.reconcile()
	h.deliver()
	return rep
}

// edit plays a user of system sys.
func (h *harness) edit(sys System, edits ...simchecklist.Edit) {
	h.t.Helper()
	sim := h.edcSim
	if sys == CTMS {
		sim = h.ctmsSim
	}
	if err := sim.Edit(edits...); err != nil {
		h.t.Fatal(err)
	}
}

// set is an edit of one field to a JSON value.
func set(site, code, field, value string) simchecklist.Edit {
	return simchecklist.Edit{Site: site, Code: code, User: "crc.test", Fields: map[string]json.RawMessage{field: json.RawMessage(value)}}
}

// canonical reads an item from a system in canonical terms, through the system's adapter.
func (h *harness) canonical(sys System, site, code string) (Item, bool) {
	h.t.Helper()
	sim := h.edcSim
	if sys == CTMS {
		sim = h.ctmsSim
	}
	raw, ok := sim.Item(site, code)
	if !ok {
		return Item{}, false
	}
	r := h.engine.Adapter(sys).Decode(raw)
	return r.Item, true
}

// state reads an item's stored state.
func (h *harness) state(site, code string) ItemState {
	h.t.Helper()
	var st ItemState
	err := h.db.View(h.t.Context(), func(tx *store.Tx) error {
		var err error
		st, _, err = store.Baselines[ItemState](tx).Get(itemKey(h.study, Key{Site: site, Code: code}))
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return st
}

// entries returns the audit entries of an action.
func (h *harness) entries(action string) []store.Entry {
	h.t.Helper()
	var out []store.Entry
	err := h.db.WalkEntries(h.t.Context(), 0, func(e store.Entry) error {
		if e.Action == action {
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// puts is the PUTs both systems applied (replays not counted).
func (h *harness) puts() int { return h.edcSim.Count("put") + h.ctmsSim.Count("put") }
