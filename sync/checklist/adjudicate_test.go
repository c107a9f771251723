package checklist

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/trialsync/trialsync/store"
)

// TestSettle: a person takes the CTMS's value of a conflict. In one transaction the write to the EDC
// is queued and the conflict closed, both audited under the person's name with the values it held, the
// choice and the reason; once delivered both systems hold the value and it becomes the baseline.
func TestSettle(t *testing.T) {
	h := seeded(t)
	h.run()
	cs, err := Conflicts(t.Context(), h.db, h.study, false)
	if err != nil {
		t.Fatal(err)
	}
	var c OpenConflict
	for _, x := range cs {
		if x.Key == (Key{Site: "101", Code: "IRB_APPROVAL"}) {
			c = x
		}
	}
	if c.ID == "" || c.Fields[0].EDC != "complete" || c.Fields[0].CTMS != "rejected" || c.Fields[0].Baseline != "in_review" {
		t.Fatalf("the seeded status conflict: %+v", c)
	}
	d, err := Settle(t.Context(), h.db, h.engine, c.ID, TakeAll(&c.Conflict, CTMS), "the monitor returned it", "crc.jones")
	if err != nil {
		t.Fatal(err)
	}
	if d.Outcome != OutcomeWriteEDC || len(d.Writes) != 1 {
		t.Fatalf("decision %+v", d)
	}
	open, oldest, err := ConflictSummary(t.Context(), h.db)
	if err != nil || open != 2 || oldest.IsZero() {
		t.Fatalf("summary %d %v %v", open, oldest, err)
	}
	all, _ := Conflicts(t.Context(), h.db, h.study, true)
	var closed *OpenConflict
	for i := range all {
		if all[i].ID == c.ID {
			closed = &all[i]
		}
	}
	if closed == nil || closed.IsOpen() || closed.Resolution.By != "crc.jones" || closed.Resolution.Take[FieldStatus] != CTMS {
		t.Fatalf("closed conflict %+v", closed)
	}
	var resolve *store.Entry
	for _, e := range h.entries(store.ActionChecklistResolve) {
		if e.Object == conflictObject(c.ID) {
			resolve = &e
		}
	}
	if resolve == nil || resolve.Actor != "crc.jones" || resolve.Reason != "the monitor returned it" ||
		resolve.New != "status=rejected (CTMS)" || !strings.Contains(resolve.Old, "status: EDC complete, CTMS rejected, agreed in_review") {
		t.Fatalf("resolve entry %+v", resolve)
	}
	writes := h.entries(store.ActionChecklistWrite)
	if last := writes[len(writes)-1]; last.Actor != "crc.jones" || last.Old != "status=complete" || last.New != "status=rejected" {
		t.Fatalf("write entry %+v", last)
	}

	h.deliver()
	e, _ := h.canonical(EDC, "101", "IRB_APPROVAL")
	st := h.state("101", "IRB_APPROVAL")
	if e.Status != Rejected || st.Pending != nil || st.Agreed.Status != Rejected {
		t.Fatalf("after delivery: EDC %+v, state %+v", e, st)
	}
	if rep := h.run(); rep.Counts.Conflict != 2 || rep.Queued != 0 {
		t.Fatalf("the next run: %+v", rep)
	}
}

// TestSettleRefused: every way a settlement can be wrong is refused with a clear error, and changes
// nothing.
func TestSettleRefused(t *testing.T) {
	h := seeded(t)
	h.run()
	cs, _ := Conflicts(t.Context(), h.db, h.study, false)
	c := cs[0]
	tests := []struct {
		name, id, reason string
		take             map[Field]System
		want             string
		is               error
	}{
		{"no reason", c.ID, "  ", TakeAll(&c.Conflict, EDC), "a reason is required", ErrNoReason},
		{"unknown ID", "999", "r", TakeAll(&c.Conflict, EDC), "conflict 999: no such open conflict", ErrNoConflict},
		{"no choice", c.ID, "r", map[Field]System{}, "no choice for " + c.Fields[0].Field.String(), nil},
		{"field not in conflict", c.ID, "r", map[Field]System{c.Fields[0].Field: EDC, FieldVersion: EDC}, "version is not in conflict", nil},
		{"unknown system", c.ID, "r", map[Field]System{c.Fields[0].Field: "sponsor"}, `take "edc" or "ctms", not "sponsor"`, nil},
	}
	entries := len(h.entries(store.ActionChecklistResolve))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Settle(t.Context(), h.db, h.engine, tt.id, tt.take, tt.reason, "crc.jones")
			if err == nil || !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Fatalf("Settle: %v, want %q", err, tt.want)
			}
		})
	}
	if open, _, _ := ConflictSummary(t.Context(), h.db); open != 3 || len(h.entries(store.ActionChecklistResolve)) != entries {
		t.Fatalf("a refused settlement changed something: %d open", open)
	}
	if _, err := Settle(t.Context(), h.db, h.engine, c.ID, TakeAll(&c.Conflict, EDC), "ok", "crc.jones"); err != nil {
		t.Fatal(err)
	}
	if _, err := Settle(t.Context(), h.db, h.engine, c.ID, TakeAll(&c.Conflict, EDC), "again", "crc.jones"); !errors.Is(err, ErrNoConflict) {
		t.Fatalf("settling twice: %v", err)
	}
}

// TestConflictClosesByItself: both systems come to agree on a conflicting field; the next run closes
// the conflict on the agent's behalf and stores the agreed values.
func TestConflictClosesByItself(t *testing.T) {
	h := seeded(t)
	h.run()
	h.edit(CTMS, set("101", "IRB_APPROVAL", "state", `"Verified"`)) // the EDC says complete too
	rep := h.run()
	st := h.state("101", "IRB_APPROVAL")
	if rep.Closed != 1 || rep.Counts.Conflict != 2 || st.Agreed.Status != Complete {
		t.Fatalf("report %+v, state %+v", rep, st)
	}
	all, _ := Conflicts(t.Context(), h.db, h.study, true)
	for _, c := range all {
		if c.Key.Code == "IRB_APPROVAL" && (c.IsOpen() || c.Resolution.By != store.ActorAgent) {
			t.Fatalf("conflict %+v", c)
		}
	}
}

// TestSettleWhilePlanning: a person settles a conflict after a run planned the item but before it
// committed. The run leaves the item to the next run instead of reopening the conflict over the
// settlement.
func TestSettleWhilePlanning(t *testing.T) {
	h := seeded(t)
	h.run()
	h.edit(CTMS, set("101", "IRB_APPROVAL", "modifiedBy", `"cra.other"`)) // the run will refresh the conflict
	ops, rep, err := h.rec.planListings(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	cs, _ := Conflicts(t.Context(), h.db, h.study, false)
	c := cs[slices.IndexFunc(cs, func(c OpenConflict) bool { return c.Key.Code == "IRB_APPROVAL" })]
	if _, err := Settle(t.Context(), h.db, h.engine, c.ID, TakeAll(&c.Conflict, EDC), "the EDC is right", "crc.jones"); err != nil {
		t.Fatal(err)
	}
	if err := h.rec.apply(t.Context(), ops, &rep); err != nil {
		t.Fatal(err)
	}
	after, _ := Conflicts(t.Context(), h.db, h.study, false)
	if rep.Skipped != 1 || rep.Refreshed != 0 || len(after) != 2 || h.state("101", "IRB_APPROVAL").Pending == nil {
		t.Fatalf("report %+v, %d open conflicts, state %+v", rep, len(after), h.state("101", "IRB_APPROVAL"))
	}
}
