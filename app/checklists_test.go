package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/trialsync/trialsync/sync/agent"
	"github.com/trialsync/trialsync/sync/checklist"
)

// checklistFake is the fake backend's checklists: the overview it serves and what the screen asked.
type checklistFake struct {
	ov        agent.ChecklistOverview
	loadErr   error
	settleErr error
	sites     []string // the site of each Checklists call
	settled   []string // "ID: field=system,…: reason"
}

func (f *fakeBackend) Checklists(ctx context.Context, site string) (agent.ChecklistOverview, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checklists.sites = append(f.checklists.sites, site)
	if f.checklists.loadErr != nil {
		return agent.ChecklistOverview{}, f.checklists.loadErr
	}
	ov := f.checklists.ov
	if site == "" {
		return ov, nil
	}
	keep := func(k checklist.Key) bool { return k.Site != site }
	ov.InSync = slices.DeleteFunc(slices.Clone(ov.InSync), keep)
	ov.Conflicts = slices.DeleteFunc(slices.Clone(ov.Conflicts), func(c agent.ChecklistConflict) bool { return keep(c.Key) })
	ov.Gaps = slices.DeleteFunc(slices.Clone(ov.Gaps), func(g checklist.Found) bool { return keep(g.Key) })
	return ov, nil
}

func (f *fakeBackend) SettleConflict(ctx context.Context, id string, take map[agent.ChecklistField]agent.ChecklistSystem, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var parts []string
	for _, field := range checklist.Fields() {
		if s, ok := take[field]; ok {
			parts = append(parts, field.String()+"="+string(s))
		}
	}
	f.checklists.settled = append(f.checklists.settled, fmt.Sprintf("%s: %s: %s", id, strings.Join(parts, ","), reason))
	if f.checklists.settleErr != nil {
		return f.checklists.settleErr
	}
	f.checklists.ov.Conflicts = slices.DeleteFunc(f.checklists.ov.Conflicts, func(c agent.ChecklistConflict) bool { return c.ID == id })
	return nil
}

// item is a canonical item of the demo's shape.
func checklistItem(site, code string, st checklist.Status, doc string) *checklist.Item {
	return &checklist.Item{Site: site, Code: code, Version: "V1", Status: st, EvidenceDocID: doc, MilestoneSignedOff: checklist.FlagNo,
		PlannedActivationDate: "2025-03-01"}
}

// overview is a study with one item of each kind: a status conflict at 101, a write on its way, a gap
// and an unmapped record at 102, and two items in sync.
func checklistOverview() agent.ChecklistOverview {
	k := func(site, code string) checklist.Key { return checklist.Key{Site: site, Code: code} }
	base := &checklist.Baseline{Item: *checklistItem("101", "IRB_APPROVAL", checklist.InReview, "DOC-1"), Revision: 3}
	return agent.ChecklistOverview{
		Study: "ALPHA", Sites: []string{"101", "102"},
		InSync: []checklist.Key{k("101", "PI_CV"), k("102", "PI_CV")},
		Conflicts: []agent.ChecklistConflict{{Study: "ALPHA", Opened: time.Now().Add(-3*time.Hour - 5*time.Minute),
			Conflict: checklist.Conflict{ID: "7", Key: k("101", "IRB_APPROVAL"),
				Fields:   []checklist.FieldConflict{{Field: checklist.FieldStatus, EDC: "complete", CTMS: "rejected", Baseline: "in_review"}},
				EDC:      checklistItem("101", "IRB_APPROVAL", checklist.Complete, "DOC-1"),
				CTMS:     checklistItem("101", "IRB_APPROVAL", checklist.Rejected, "DOC-1"),
				Baseline: base}}},
		InFlight: []checklist.InFlight{{Key: k("101", "CTA_SIGNED"), Pending: checklist.Pending{Outcome: checklist.OutcomeWriteCTMS,
			Writes: []checklist.PendingWrite{{System: checklist.CTMS, Message: 12, Fields: []checklist.Field{checklist.FieldStatus}, State: checklist.WriteQueued}}},
			Stuck: map[uint64]string{12: "HTTP 400: Invalid checklist item: documentId must be a string"}}},
		Gaps: []checklist.Found{{Key: k("102", "SITE_VISIT"), Finding: checklist.Finding{Outcome: checklist.OutcomeGap, Missing: checklist.CTMS,
			Raw: json.RawMessage(`{"siteId":"102","code":"SITE_VISIT","status":"DRAFT"}`)}}},
		Unmapped: []checklist.Found{{Key: k("102", "LAB_NORMALS"), Finding: checklist.Finding{Outcome: checklist.OutcomeUnmapped,
			Defects: []checklist.Defect{{System: checklist.EDC, Reason: `status "WITHDRAWN" is not in the EDC vocabulary`,
				Raw: json.RawMessage(`{"siteId":"102","code":"LAB_NORMALS","status":"WITHDRAWN"}`)}}}}},
	}
}

// reconcileService is the reconciliation service as the snapshot shows it.
func checklistServiceState() agent.ServiceState {
	return agent.ServiceState{Name: "Checklist reconciliation ALPHA", Engine: agent.EngineChecklist, Subject: "ALPHA", Remote: agent.RemoteEDC, Runs: 1}
}

func openChecklists(t *testing.T, f *fakeBackend, services ...agent.ServiceState) (*UI, *checklistsScreen, fyne.Window) {
	t.Helper()
	f.snap.Services = services
	u, w := openOn(t, f, Options{}, checklistsNav)
	return u, u.content[checklistsNav].(*checklistsView).screen, w
}

// TestChecklistsEmpty: nothing reconciled yet, and no service running: the tabs count nothing, the
// conflicts tab says so, and Reconcile now is off.
func TestChecklistsEmpty(t *testing.T) {
	f := newFake(0)
	_, s, w := openChecklists(t, f)
	mustShow(t, w, "No conflict waits for you.", "Conflicts (0)", "In sync (0)", "Choose a conflict to settle it.")
	if !s.reconcile.Disabled() || s.busy.Visible() {
		t.Error("Reconcile now is on, or activity shows, without a reconciliation service")
	}
}

// TestChecklistsConflict: a conflict is shown field by field with the EDC's, the CTMS's and the agreed
// value side by side; Settle waits for a choice for each conflicting field and a reason; the choice
// and the reason reach the backend, and the list follows.
func TestChecklistsConflict(t *testing.T) {
	f := newFake(0)
	f.checklists.ov = checklistOverview()
	u, s, w := openChecklists(t, f, checklistServiceState())
	mustShow(t, w, "Conflicts (1)", "Writes on their way (1)", "Gaps (1)", "Unmapped (1)", "In sync (2)")
	if s.emptyFirst.Visible() {
		t.Error("the empty text shows over a conflict")
	}
	s.lists[checklistTabConflicts].Select(0)
	mustShow(t, w, "Conflict 7 · 101/IRB_APPROVAL · waiting 3 h 5 min", "complete", "rejected", "in_review", "DOC-1", "2025-03-01")
	if len(s.conflict.choices) != 1 || s.conflict.choices[checklist.FieldStatus] == nil {
		t.Fatalf("choices for %v, want status only", s.conflict.choices)
	}
	if !s.conflict.settle.Disabled() {
		t.Fatal("Settle is on before any choice")
	}
	s.conflict.choices[checklist.FieldStatus].SetSelected(checklistTakeCTMS)
	if !s.conflict.settle.Disabled() {
		t.Fatal("Settle is on without a reason")
	}
	test.Type(s.conflict.reason, "   ")
	if !s.conflict.settle.Disabled() {
		t.Fatal("Settle is on with a blank reason")
	}
	s.conflict.reason.SetText("")
	test.Type(s.conflict.reason, "the monitor returned the form")
	if s.conflict.settle.Disabled() {
		t.Fatal("Settle is off with a choice and a reason")
	}
	onFyneGoroutine(u, func() { test.Tap(s.conflict.settle) })
	u.bridge.wait()
	if want := []string{"7: status=ctms: the monitor returned the form"}; !slices.Equal(f.checklists.settled, want) {
		t.Fatalf("settled %q, want %q", f.checklists.settled, want)
	}
	mustShow(t, w, "Conflict 7 on 101/IRB_APPROVAL settled", "Conflicts (0)", "No conflict waits for you.")
}

// TestChecklistsSettleRefused: a refused settlement says why in red and keeps the choice and the
// reason for another try.
func TestChecklistsSettleRefused(t *testing.T) {
	f := newFake(0)
	f.checklists.ov = checklistOverview()
	f.checklists.settleErr = errors.New("conflict 7: item 101/IRB_APPROVAL still has writes on their way")
	u, s, w := openChecklists(t, f, checklistServiceState())
	s.lists[checklistTabConflicts].Select(0)
	s.conflict.choices[checklist.FieldStatus].SetSelected(checklistTakeEDC)
	test.Type(s.conflict.reason, "EDC is right")
	onFyneGoroutine(u, func() { test.Tap(s.conflict.settle) })
	u.bridge.wait()
	mustShow(t, w, "The conflict was not settled: conflict 7: item 101/IRB_APPROVAL still has writes on their way")
	if s.conflict.reason.Text != "EDC is right" || s.conflict.settle.Disabled() || s.conflict.choices[checklist.FieldStatus].Selected != checklistTakeEDC {
		t.Error("a refused settlement lost the choice or the reason")
	}
}

// TestChecklistsDeletedConflict: a system that deleted the item shows "(deleted)" in its column, and
// the title says the choice is about the whole item.
func TestChecklistsDeletedConflict(t *testing.T) {
	f := newFake(0)
	ov := checklistOverview()
	ov.Conflicts[0].CTMS, ov.Conflicts[0].Deleted = nil, checklist.CTMS
	f.checklists.ov = ov
	_, s, w := openChecklists(t, f, checklistServiceState())
	s.lists[checklistTabConflicts].Select(0)
	mustShow(t, w, "(deleted)", "deleted in the CTMS", "the choice is about the whole item")
}

// TestChecklistsRawRecords: gaps and unmapped items show their raw records as received, with why.
func TestChecklistsRawRecords(t *testing.T) {
	f := newFake(0)
	f.checklists.ov = checklistOverview()
	_, s, w := openChecklists(t, f, checklistServiceState())
	s.tabs.SelectIndex(checklistTabGaps)
	mustShow(t, w, "102/SITE_VISIT · missing in the CTMS")
	s.lists[checklistTabGaps].Select(0)
	mustShow(t, w, `{"siteId":"102","code":"SITE_VISIT","status":"DRAFT"}`, "missing in the CTMS")
	s.tabs.SelectIndex(checklistTabUnmapped)
	s.lists[checklistTabUnmapped].Select(0)
	mustShow(t, w, `status "WITHDRAWN" is not in the EDC vocabulary`, `{"siteId":"102","code":"LAB_NORMALS","status":"WITHDRAWN"}`,
		"nothing is guessed")
	s.tabs.SelectIndex(checklistTabInFlight)
	s.lists[checklistTabInFlight].Select(0)
	mustShow(t, w, "101/CTA_SIGNED: writing to the CTMS", "To the CTMS (status): queued (outbound message 12)",
		"It will not be sent without you: HTTP 400: Invalid checklist item: documentId must be a string. Retry or discard it (trialsync queue retry 12")
}

// TestChecklistsSiteFilter: choosing a site reloads that site's items only.
func TestChecklistsSiteFilter(t *testing.T) {
	f := newFake(0)
	f.checklists.ov = checklistOverview()
	u, s, w := openChecklists(t, f, checklistServiceState())
	if !slices.Equal(s.sites.Options, []string{checklistAllSites, "101", "102"}) {
		t.Fatalf("site choices %v", s.sites.Options)
	}
	onFyneGoroutine(u, func() { s.sites.SetSelected("102") })
	u.bridge.wait()
	if last := f.checklists.sites[len(f.checklists.sites)-1]; last != "102" {
		t.Fatalf("loaded site %q, want 102", last)
	}
	mustShow(t, w, "Conflicts (0)", "Gaps (1)", "In sync (1)")
	onFyneGoroutine(u, func() { s.sites.SetSelected(checklistAllSites) })
	u.bridge.wait()
	mustShow(t, w, "Conflicts (1)", "In sync (2)")
}

// TestChecklistsStates: the service's busy, offline and stopped states, a load error, and the last
// run's counts in the header.
func TestChecklistsStates(t *testing.T) {
	f := newFake(0)
	f.checklists.ov = checklistOverview()
	svc := checklistServiceState()
	svc.Running = true
	u, s, w := openChecklists(t, f, svc)
	if !s.busy.Visible() || s.reconcile.Disabled() {
		t.Error("no activity shown while reconciling, or Reconcile now is off")
	}
	onFyneGoroutine(u, func() { test.Tap(s.reconcile) })
	u.bridge.wait()
	if f.kicks[len(f.kicks)-1] != agent.EngineChecklist {
		t.Errorf("kicks %v", f.kicks)
	}
	f.setSnap(t, u, func(snap *agent.Snapshot) {
		snap.Services[0].Running, snap.Services[0].Offline, snap.Services[0].Err = false, true, "edc: offline since 09:00: connection refused"
		snap.Checklist = agent.ChecklistState{OpenConflicts: 1, OldestOpened: time.Now().Add(-time.Hour),
			Last: agent.ChecklistCounts{Items: 1234, InSync: 1200, WriteCTMS: 30, Conflict: 1, Gap: 2, Unmapped: 1}, LastRun: time.Now()}
	})
	mustShow(t, w, "A checklist system cannot be reached", "connection refused", "1,234 items, 1,200 in sync, 30 written, 1 in conflict, 2 gaps, 1 unmapped")
	if s.busy.Visible() {
		t.Error("activity shows while offline")
	}
	f.setSnap(t, u, func(snap *agent.Snapshot) {
		snap.Services[0].Offline, snap.Services[0].Stopped, snap.Services[0].Err = false, true, "credential edc.token not set (trialsync creds set edc.token)"
	})
	mustShow(t, w, "Reconciliation has stopped", "edc.token")

	f.mu.Lock()
	f.checklists.loadErr = errFake
	f.mu.Unlock()
	s.load()
	u.bridge.wait()
	mustShow(t, w, "Could not read the checklists: store is locked by another trialsync")
}

// TestDashboardChecklists: the dashboard counts the open conflicts and gives the oldest one's age.
func TestDashboardChecklists(t *testing.T) {
	f := newFake(0)
	f.snap.Checklist = agent.ChecklistState{OpenConflicts: 2, OldestOpened: time.Now().Add(-26 * time.Hour)}
	_, w := newTestUI(t, f, Options{})
	mustShow(t, w, "2 conflicts wait for you, the oldest for 1 d 2 h.")
}

// onFyne does what the person does on the Fyne goroutine. fyne's test driver runs the bridge's updates
// on the goroutines that ask for them, one at a time under the bridge's lock; holding it here keeps a
// widget's own work after its callback (a Select refreshing itself) from overlapping an update, as the
// one Fyne goroutine does in the real driver.
func onFyneGoroutine(u *UI, do func()) {
	u.bridge.updating.Lock()
	defer u.bridge.updating.Unlock()
	do()
}
