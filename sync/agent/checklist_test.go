package agent

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trialsync/trialsync/sync/checklist"
	simchecklist "github.com/trialsync/trialsync/sync/sim/checklist"
	"github.com/trialsync/trialsync/sync/sim/seed"
)

// checklistAgent starts the demo study's EDC and CTMS, opens an agent configured for them with both
// tokens in the (mock) keyring, and stores the seed's baselines so that its three conflicts show.
func checklistAgent(t *testing.T, extra string) (*Agent, *simchecklist.Server, *simchecklist.Server) {
	t.Helper()
	st, err := seed.Load(filepath.Join("..", "..", "testdata", "seed", "study.toml"))
	if err != nil {
		t.Fatal(err)
	}
	var sims [2]*simchecklist.Server
	for i, sys := range []simchecklist.System{simchecklist.EDC, simchecklist.CTMS} {
		if sims[i], err = simchecklist.Start("127.0.0.1:0", simchecklist.FromSeed(st, sys)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sims[i].Close() })
	}
	a := openAgent(t, fmt.Sprintf("[checklist]\nstudy_id = \"ALPHA\"\nedc_url = %q\nctms_url = %q\n%s", sims[0].URL(), sims[1].URL(), extra), nil)
	for name, s := range map[string]*simchecklist.Server{EDCCredential: sims[0], CTMSCredential: sims[1]} {
		if err := a.SetCredential(t.Context(), name, s.Options().Token); err != nil {
			t.Fatal(err)
		}
	}
	db, err := a.Store(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var items []checklist.Item
	for _, ci := range st.ChecklistItems() {
		b := ci.Baseline
		it := checklist.Item{Site: ci.Site, Code: ci.Code, Version: ci.Version, Status: checklist.Status(b.Status),
			EvidenceDocID: b.EvidenceDocID, PlannedActivationDate: checklist.Date(b.PlannedActivationDate), MilestoneSignedOff: checklist.FlagNo}
		if b.MilestoneSignedOff {
			it.MilestoneSignedOff = checklist.FlagYes
		}
		items = append(items, it)
	}
	if _, err := checklist.StoreBaselines(t.Context(), db, "ALPHA", items); err != nil {
		t.Fatal(err)
	}
	return a, sims[0], sims[1]
}

// TestReconcileThroughTheAgent: a reconciliation through the agent's clients finds the seeded
// conflicts; the snapshot counts them with the oldest's age and shows both systems online; a person
// settles one, its write is delivered by the next run, and the overview follows.
func TestReconcileThroughTheAgent(t *testing.T) {
	a, edc, _ := checklistAgent(t, "")
	res, err := a.Reconcile(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if want := (checklist.Counts{Items: 18, InSync: 15, Conflict: 3}); res.Counts != want || res.Study != "ALPHA" {
		t.Fatalf("reconciled %s, want %s", res.Counts, want)
	}
	snap := a.Snapshot()
	if snap.Checklist.OpenConflicts != 3 || snap.Checklist.OldestOpened.IsZero() || snap.Checklist.Last != res.Counts {
		t.Fatalf("snapshot %+v", snap.Checklist)
	}
	for _, name := range []string{RemoteEDC, RemoteCTMS} {
		if r, ok := snap.Remote(name); !ok || r.Status != RemoteOnline {
			t.Errorf("remote %s: %+v", name, snap.Remotes)
		}
	}
	cs, err := a.ChecklistConflicts(t.Context(), false)
	if err != nil || len(cs) != 3 {
		t.Fatalf("conflicts %v %v", cs, err)
	}
	if err := a.SettleConflictTaking(t.Context(), cs[0].ID, ChecklistCTMS, "  "); err == nil || !strings.Contains(err.Error(), "reason is required") {
		t.Fatalf("settling without a reason: %v", err)
	}
	if err := a.SettleConflictTaking(t.Context(), cs[0].ID, ChecklistCTMS, "the CTMS was corrected by the monitor"); err != nil {
		t.Fatal(err)
	}
	if a.Snapshot().Checklist.OpenConflicts != 2 {
		t.Fatalf("after settling: %+v", a.Snapshot().Checklist)
	}
	ov, err := a.Checklists(t.Context(), "")
	if err != nil || len(ov.InFlight) != 1 || len(ov.Conflicts) != 2 || len(ov.InSync) != 15 || len(ov.Sites) != 3 {
		t.Fatalf("overview %+v %v", ov, err)
	}
	before := edc.Count("put")
	if _, err := a.Reconcile(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	ov, _ = a.Checklists(t.Context(), cs[0].Key.Site)
	if len(ov.InFlight) != 0 || len(ov.InSync) != 6-len(ov.Conflicts) {
		t.Fatalf("overview of site %s after delivery: %+v", cs[0].Key.Site, ov)
	}
	if edc.Count("put") != before+1 { // the CTMS's value went to the EDC
		t.Fatalf("%d PUTs to the EDC, want 1", edc.Count("put")-before)
	}
}

// TestReconcileWithoutToken: a token missing from the keyring stops the run with the contract's
// message, before anything is read.
func TestReconcileWithoutToken(t *testing.T) {
	a := openAgent(t, "[checklist]\nstudy_id = \"ALPHA\"\nedc_url = \"http://127.0.0.1:1\"\nctms_url = \"http://127.0.0.1:2\"\n", nil)
	_, err := a.Reconcile(t.Context(), "")
	if !IsFatal(err) || !strings.Contains(err.Error(), "credential edc.token not set (trialsync creds set edc.token)") {
		t.Fatalf("Reconcile without a token: %v", err)
	}
}

// TestChecklistService: the registry's reconciliation service runs at start, with its counts in its
// summary and its queue figures.
func TestChecklistService(t *testing.T) {
	a, _, _ := checklistAgent(t, "reconcile_every = \"20m\"\n\n[send]\nevery = \"40m\"\n")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, StartOptions{Engines: []string{EngineChecklist, EngineSend}}) }()
	snap := waitState(t, a, "a reconciliation and a delivery", func(s Snapshot) bool {
		return len(s.Services) == 2 && s.Services[0].Runs >= 1 && s.Services[1].Runs >= 1 &&
			!s.Services[0].NextRun.IsZero() && !s.Services[1].NextRun.IsZero()
	})
	s := serviceNamed(t, snap, "Checklist reconciliation ALPHA")
	if s.Err != "" || s.Last.Figure("conflict") != 3 || s.Last.Figure("items") != 18 || len(s.Queue) == 0 || s.Queue[0].Name != "pending" {
		t.Fatalf("service %+v", s)
	}
	// Each service waits its configured interval after a run ([checklist] reconcile_every, [send] every).
	for _, sv := range snap.Services {
		want := map[string]time.Duration{EngineChecklist: 20 * time.Minute, EngineSend: 40 * time.Minute}[sv.Engine]
		if wait := sv.NextRun.Sub(sv.LastEnd); wait < want-time.Second || wait > want+time.Second {
			t.Errorf("%s: next run %s after the last, want %s", sv.Name, wait, want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
