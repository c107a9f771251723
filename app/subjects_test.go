package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/trialsync/trialsync/sync/agent"
	"github.com/trialsync/trialsync/sync/config"
	"github.com/trialsync/trialsync/sync/outbox"
	"github.com/trialsync/trialsync/sync/sureadhere"
)

// subjectsFake is the fake backend's subject push: the list it returns and what the screen asked. The
// outbound messages (their retry and discard) are the exposure fake's, the queue both screens share:
// Subjects joins each row to its message there, as the agent's list does.
type subjectsFake struct {
	subjectRows  []agent.SubjectRow
	subjectsErr  error
	ackErr       error
	acknowledged []string // "study/subject: reason"
}

func (f *fakeBackend) Subjects(ctx context.Context) ([]agent.SubjectRow, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rows := slices.Clone(f.subjectRows)
	for i, r := range rows {
		for _, m := range f.exposures.msgs {
			if r.Message != 0 && m.ID == r.Message {
				rows[i].Delivery, rows[i].Discarded, rows[i].Attempts = m.State, m.Discarded, m.Attempts
			}
		}
	}
	return rows, f.subjectsErr
}

func (f *fakeBackend) AcknowledgeArmChange(ctx context.Context, study, subject, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acknowledged = append(f.acknowledged, study+"/"+subject+": "+reason)
	if f.ackErr != nil {
		return f.ackErr
	}
	for i, r := range f.subjectRows {
		if r.Study == study && r.ID == subject && r.Change != nil {
			c := *r.Change
			c.Acknowledged = &sureadhere.Decision{By: "crc.jones", At: time.Now(), Reason: reason}
			f.subjectRows[i].Change, f.subjectRows[i].State = &c, sureadhere.StatePushed
		}
	}
	return nil
}

// deadSubjects puts rows' dead messages in the shared queue.
func (f *fakeBackend) deadSubjects(rows ...agent.SubjectRow) {
	f.subjectRows = rows
	for _, r := range rows {
		f.exposures.msgs = append(f.exposures.msgs, outbox.Listed{Message: outbox.Message{ID: r.Message, Kind: outbox.KindSubject,
			Key: r.Key(), State: r.Delivery, Attempts: r.Attempts, Error: r.Error}})
	}
}

// subjectsSnap is a snapshot with the subject push configured, its discovery service and the send
// service of subject messages (nil: not running).
func subjectsSnap(discovery, send *agent.ServiceState) agent.Snapshot {
	s := agent.Snapshot{ConfigPath: "/data/config.toml",
		Engines: []agent.EngineState{{Name: agent.EngineRavePull, Configured: true}, {Name: agent.EngineSend, Configured: true},
			{Name: agent.EngineSubjects, Title: "Subject push", Configured: true}}}
	if discovery != nil {
		s.Services = append(s.Services, *discovery)
	}
	if send != nil {
		s.Services = append(s.Services, *send)
	}
	return s
}

// discoveryState is the subject service after runs, having found subjects (unmapped and arm changes
// among them) and queued some in its last run.
func discoveryState(runs, subjects, unmapped, armChanged, queued int) *agent.ServiceState {
	now := time.Now()
	return &agent.ServiceState{Name: "Subject push", Engine: agent.EngineSubjects, Runs: runs, LastEnd: now.Add(-time.Minute),
		NextRun: now.Add(time.Hour), Last: agent.Summary{Figures: []agent.Figure{{Name: "queued", Value: queued}}},
		Queue: []agent.Figure{{Name: agent.FigureSubjects, Value: subjects}, {Name: agent.FigureUnmapped, Value: unmapped},
			{Name: agent.FigureArmChanged, Value: armChanged}}}
}

// sendState is the send service of subject messages after runs, its queue by state.
func sendState(runs int, q agent.QueueCounts) *agent.ServiceState {
	now := time.Now()
	return &agent.ServiceState{Name: "Send subjects to SureAdhere", Engine: agent.EngineSend, Subject: outbox.KindSubject,
		Remote: agent.RemoteSureAdhere, Runs: runs, LastEnd: now.Add(-30 * time.Second), NextRun: now.Add(time.Minute), Queue: q.Figures()}
}

// row is a randomized subject of ALPHA(Prod).
func row(id, arm, regimen string, state sureadhere.State) agent.SubjectRow {
	r := agent.SubjectRow{Subject: sureadhere.Subject{Study: "ALPHA(Prod)", ID: id, Site: id[:3], Arm: arm, Regimen: regimen, State: state}}
	if state == sureadhere.StatePushed || state == sureadhere.StateArmChanged {
		r.Pushed = &sureadhere.Pushed{Push: sureadhere.Push{Study: "ALPHA(Prod)", Subject: id, Arm: arm,
			Patient: sureadhere.Patient{MRN: id, Regimen: regimen, SiteCode: id[:3]}}, Status: 201, At: time.Now()}
		r.Delivery = outbox.Done
	}
	return r
}

func pushed(id, arm, regimen string) agent.SubjectRow {
	return row(id, arm, regimen, sureadhere.StatePushed)
}

// queuedRow is a subject on its way, its message in state st.
func queuedRow(id, arm, regimen string, msg uint64, st outbox.State, attempts int, errText, advice string) agent.SubjectRow {
	r := row(id, arm, regimen, sureadhere.StateQueued)
	r.Message, r.Delivery, r.Attempts, r.Error, r.Advice = msg, st, attempts, errText, advice
	return r
}

// unmapped is a subject whose arm has no regimen.
func unmapped(id, arm string) agent.SubjectRow {
	r := row(id, arm, "", sureadhere.StateUnmapped)
	r.Problem = fmt.Sprintf("arm %q has no SureAdhere regimen in [sureadhere] regimens", arm)
	return r
}

// armChanged is a subject pushed with from, whose arm is now to.
func armChanged(id, from, fromRegimen, to, toRegimen string) agent.SubjectRow {
	r := row(id, to, toRegimen, sureadhere.StateArmChanged)
	r.Pushed.Arm, r.Pushed.Patient.Regimen = from, fromRegimen
	r.Change = &sureadhere.ArmChange{From: from, To: to, FromRegimen: fromRegimen, ToRegimen: toRegimen, Flagged: time.Now()}
	return r
}

// openSubjects opens the GUI on f and goes to the Subjects screen.
func openSubjects(t *testing.T, f *fakeBackend) (*UI, fyne.Window) {
	t.Helper()
	return openOn(t, f, Options{}, subjectsNav)
}

// buttonNamed is the visible button labelled text inside o, nil when there is none.
func buttonNamed(o fyne.CanvasObject, text string) *widget.Button {
	if o == nil || !o.Visible() {
		return nil
	}
	switch x := o.(type) {
	case *widget.Button:
		if x.Text == text {
			return x
		}
	case *fyne.Container:
		for _, c := range x.Objects {
			if b := buttonNamed(c, text); b != nil {
				return b
			}
		}
	}
	return nil
}

// TestSubjectsStates: each state of the screen (not configured, empty, busy, dead, urgent, offline,
// stopped) shows what it must, in red where a person must act, and the dashboard's line agrees.
func TestSubjectsStates(t *testing.T) {
	deadErr := `SureAdhere refused it: 400 Bad Request: invalid_body: site_code: Site code "104" does not exist in this workspace.`
	deadAdvice := "Site 104 does not exist in the SureAdhere workspace: ask SureAdhere support to add it, then Retry."
	offline := sendState(2, agent.QueueCounts{Held: 3, Done: 1})
	offline.Offline, offline.Err, offline.NextRun = true, "sureadhere: POST treatment/ingest/mrn_regimen: offline since 09:12:44: 127.0.0.1:8004 refused the connection (nothing is listening there)", time.Time{}
	stopped := sendState(1, agent.QueueCounts{Pending: 2})
	stopped.Stopped, stopped.NextRun = true, time.Time{}
	stopped.Err = "credential sureadhere.token rejected: sureadhere: the MRNIntegrationToken (keyring entry sureadhere.token) was refused: 400 Bad Request: invalid_token: Invalid MRNIntegrationToken."
	stopped.Hint = "Set sureadhere.token again (Settings, or trialsync creds set sureadhere.token) and this starts again."
	busy := discoveryState(0, 0, 0, 0, 0)
	busy.Running = true
	sending := sendState(1, agent.QueueCounts{Pending: 2, Sending: 2, Done: 4})
	sending.Running = true

	cases := []struct {
		name    string
		snap    agent.Snapshot
		rows    []agent.SubjectRow
		screen  []string
		red     []string
		buttons []string // visible in the needs-a-person rows
		need    int      // rows that need a person
		not     []string
		busy    bool
		canPush bool
		dash    string
		dashRed bool
	}{
		{
			name:   "not configured",
			snap:   agent.Snapshot{ConfigPath: "/data/config.toml", Engines: []agent.EngineState{{Name: agent.EngineSubjects}}},
			screen: []string{"The subject push is not configured", "Add these to /data/config.toml:", `arm_item = "RAND.ARM"`, "trialsync creds set sureadhere.token"},
			not:    []string{"Needs a person", "Looking for"},
			dash:   "Not configured: add [sureadhere] and an arm_item",
		},
		{
			name:    "empty",
			snap:    subjectsSnap(discoveryState(1, 0, 0, 0, 0), sendState(1, agent.QueueCounts{})),
			screen:  []string{"Randomized subjects", "No randomized subject yet: subjects appear here once the Rave pull has stored their arm.", "Last looked at", "0 randomized subjects", "SureAdhere answers: every queued subject delivered."},
			not:     []string{"Needs a person", "The subject push is not configured"},
			canPush: true,
			dash:    "0 randomized subjects; none waits for a person.",
		},
		{
			name:   "busy",
			snap:   subjectsSnap(busy, sending),
			rows:   []agent.SubjectRow{pushed("101-001", "Arm A", "Group 1"), queuedRow("101-002", "Arm B", "Group 2", 7, outbox.Sending, 1, "", "")},
			screen: []string{"Looking for randomized subjects in the pulled data…", "Sending subjects to SureAdhere…", "101-001", "in SureAdhere", "sending…", "2 randomized subjects: 1 in SureAdhere, 1 on their way."},
			not:    []string{"Needs a person"},
			busy:   true,
			dash:   "Starting…",
		},
		{
			name: "dead",
			snap: subjectsSnap(discoveryState(2, 2, 0, 0, 0), sendState(2, agent.QueueCounts{Dead: 1, Done: 1})),
			rows: []agent.SubjectRow{pushed("101-002", "Arm A", "Group 1"),
				queuedRow("104-001", "Arm A", "Group 1", 9, outbox.Dead, 1, deadErr, deadAdvice)},
			screen:  []string{"Needs a person (1)", "not delivered"},
			red:     []string{"ALPHA(Prod)/104-001 (site 104): not delivered after 1 attempt: " + deadErr + " " + deadAdvice, "SureAdhere answers: 1 not delivered (see below)."},
			buttons: []string{"Retry", "Discard…"},
			need:    1,
			canPush: true,
			dash:    "2 randomized; 1 needs a person (Subjects screen).",
			dashRed: true,
		},
		{
			name: "urgent arm change",
			snap: subjectsSnap(discoveryState(3, 3, 1, 1, 0), sendState(3, agent.QueueCounts{Done: 2})),
			rows: []agent.SubjectRow{armChanged("101-012", "Arm A", "Group 1", "Arm B", "Group 2"), pushed("101-013", "Arm B", "Group 2"),
				unmapped("101-014", "Arm C")},
			screen: []string{"Needs a person (2)", "arm changed", `SureAdhere keeps "Group 1" (arm "Arm A")`, "no regimen",
				"3 randomized subjects: 1 in SureAdhere, 1 arm without a regimen, 1 arm change to acknowledge."},
			red: []string{`ALPHA(Prod)/101-012 (site 101): Rave's arm changed after the subject reached SureAdhere, from "Arm A" to "Arm B". SureAdhere keeps regimen "Group 1" and its ingest cannot change it, so nothing is sent: change the regimen in SureAdhere, then acknowledge.`,
				`ALPHA(Prod)/101-014 (site 101): not sent: Arm "Arm C" has no SureAdhere regimen in [sureadhere] regimens. Map it in the configuration, then reopen trialsync.`},
			buttons: []string{"Acknowledge…"},
			need:    2,
			canPush: true,
			dash:    "3 randomized; 2 need a person (Subjects screen).",
			dashRed: true,
		},
		{
			name:    "offline",
			snap:    subjectsSnap(discoveryState(2, 4, 0, 0, 3), offline),
			rows:    []agent.SubjectRow{pushed("101-001", "Arm A", "Group 1"), queuedRow("101-002", "Arm B", "Group 2", 3, outbox.Held, 0, "", "")},
			screen:  []string{"held (offline)", "3 newly queued"},
			red:     []string{"SureAdhere cannot be reached: sureadhere: POST treatment/ingest/mrn_regimen: offline since 09:12:44: 127.0.0.1:8004 refused the connection (nothing is listening there). The 3 held subjects go as soon as it answers; nothing is lost."},
			not:     []string{"Needs a person"},
			canPush: true,
			dash:    "SureAdhere cannot be reached",
			dashRed: true,
		},
		{
			name:    "token refused",
			snap:    subjectsSnap(discoveryState(1, 2, 0, 0, 2), stopped),
			rows:    []agent.SubjectRow{queuedRow("101-001", "Arm A", "Group 1", 1, outbox.Pending, 0, "", "")},
			red:     []string{"Sending to SureAdhere has stopped: credential sureadhere.token rejected:", "Set sureadhere.token again (Settings, or trialsync creds set sureadhere.token)"},
			not:     []string{"Needs a person"},
			canPush: true,
			dash:    "Sending to SureAdhere has stopped",
			dashRed: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(1)
			f.snap, f.subjectRows = tc.snap, tc.rows
			u, w := newTestUI(t, f, Options{})
			line := labelShowing(t, w, tc.dash)
			if red := line.Importance == widget.DangerImportance; red != tc.dashRed {
				t.Errorf("dashboard line %q red = %v, want %v", line.Text, red, tc.dashRed)
			}
			test.Tap(u.nav[subjectsNav])
			u.bridge.wait()
			mustShow(t, w, tc.screen...)
			for _, s := range tc.red {
				mustBeRed(t, w, s)
			}
			for _, s := range tc.not {
				if shows(w, s) {
					t.Errorf("the Subjects screen shows %q", s)
				}
			}
			for _, b := range tc.buttons {
				if buttonNamed(u.subjects.attention, b) == nil {
					t.Errorf("no %q button for the subject that needs a person", b)
				}
			}
			if got := len(u.subjects.attention.Objects); got != tc.need {
				t.Errorf("%d rows need a person, want %d", got, tc.need)
			}
			if a := u.subjects.activity; a.Visible() != tc.busy {
				t.Errorf("activity shown = %v, want %v", a.Visible(), tc.busy)
			}
			if got := !u.subjects.pushNow.Disabled(); got != tc.canPush {
				t.Errorf("Push now enabled = %v, want %v", got, tc.canPush)
			}
			test.Tap(u.subjects.pushNow)
			u.bridge.wait()
			want := []string(nil)
			if tc.canPush {
				want = []string{agent.EngineSubjects, agent.EngineSend}
			}
			if !slices.Equal(f.kicks, want) {
				t.Errorf("Push now kicked %q, want %q", f.kicks, want)
			}
		})
	}
}

// TestSubjectsAcknowledge: Acknowledge… asks for a reason (its button disabled without one), says that
// nothing is sent, records the decision through the backend, and the list shows it settled.
func TestSubjectsAcknowledge(t *testing.T) {
	f := newFake(1)
	f.snap = subjectsSnap(discoveryState(1, 1, 0, 1, 0), sendState(1, agent.QueueCounts{Done: 1}))
	f.subjectRows = []agent.SubjectRow{armChanged("101-012", "Arm A", "Group 1", "Arm B", "Group 2")}
	u, w := openSubjects(t, f)
	s := u.subjects
	test.Tap(buttonNamed(s.attention, "Acknowledge…"))
	if s.dialog == nil {
		t.Fatal("no dialog")
	}
	mustShowOverlay(t, w, "Acknowledge the arm change of ALPHA(Prod)/101-012", "trialsync sends nothing", `arm "Arm B" is regimen "Group 2"`)
	if s.reason.Validate() == nil {
		t.Fatal("an empty reason validates")
	}
	test.Type(s.reason, "regimen changed to Group 2 in SureAdhere by hand")
	s.dialog.Submit()
	u.bridge.wait()
	if want := []string{"ALPHA(Prod)/101-012: regimen changed to Group 2 in SureAdhere by hand"}; !slices.Equal(f.acknowledged, want) {
		t.Fatalf("acknowledged %q, want %q", f.acknowledged, want)
	}
	mustShow(t, w, "ALPHA(Prod)/101-012: arm change acknowledged; nothing was sent to SureAdhere.", "acknowledged by crc.jones")
	if shows(w, "Needs a person") || len(s.attention.Objects) != 0 {
		t.Error("the acknowledged change still needs a person")
	}

	// A refusal is shown, not swallowed.
	f.mu.Lock()
	f.subjectRows = []agent.SubjectRow{armChanged("101-020", "Arm B", "Group 2", "Arm A", "Group 1")}
	f.ackErr = errors.New("ALPHA(Prod)/101-020 is pushed: no arm change waits for a decision")
	f.mu.Unlock()
	s.load()
	u.bridge.wait()
	test.Tap(buttonNamed(s.attention, "Acknowledge…"))
	test.Type(s.reason, "done")
	s.dialog.Submit()
	u.bridge.wait()
	mustBeRed(t, w, "Could not acknowledge the arm change of ALPHA(Prod)/101-020: ALPHA(Prod)/101-020 is pushed: no arm change waits for a decision")
}

// TestSubjectsRetryDiscard: a dead send's Retry re-queues its message; Discard… asks for a reason and
// ends it; Cancel changes nothing.
func TestSubjectsRetryDiscard(t *testing.T) {
	f := newFake(1)
	f.snap = subjectsSnap(discoveryState(1, 2, 0, 0, 0), sendState(1, agent.QueueCounts{Dead: 2}))
	f.deadSubjects(
		queuedRow("104-001", "Arm A", "Group 1", 11, outbox.Dead, 1, "SureAdhere refused it: 400 Bad Request", ""),
		queuedRow("104-002", "Arm B", "Group 2", 12, outbox.Dead, 1, "SureAdhere refused it: 400 Bad Request", ""),
	)
	u, w := openSubjects(t, f)
	s := u.subjects
	rows := s.attention.Objects
	test.Tap(buttonNamed(rows[0], "Retry"))
	u.bridge.wait()
	if !slices.Equal(f.exposures.retried, []uint64{11}) {
		t.Fatalf("retried %v", f.exposures.retried)
	}
	mustShow(t, w, "ALPHA(Prod)/104-001: queued again.", "Needs a person (1)")

	test.Tap(buttonNamed(s.attention.Objects[0], "Discard…"))
	mustShowOverlay(t, w, "Discard the send of ALPHA(Prod)/104-002")
	s.dialog.Dismiss()
	u.bridge.wait()
	if len(f.exposures.discarded) != 0 {
		t.Fatalf("Cancel discarded %v", f.exposures.discarded)
	}
	test.Tap(buttonNamed(s.attention.Objects[0], "Discard…"))
	test.Type(s.reason, "registered in SureAdhere by hand")
	s.dialog.Submit()
	u.bridge.wait()
	if want := []string{"12: registered in SureAdhere by hand"}; !slices.Equal(f.exposures.discarded, want) {
		t.Fatalf("discarded %q, want %q", f.exposures.discarded, want)
	}
	mustShow(t, w, "ALPHA(Prod)/104-002: send discarded.", "discarded")
	if shows(w, "Needs a person") {
		t.Error("the discarded send still needs a person")
	}
}

// TestSubjectsFollowRuns: the list is read again when a run of either service ends, without
// reopening the screen; a list that cannot be read says so.
func TestSubjectsFollowRuns(t *testing.T) {
	f := newFake(1)
	f.snap = subjectsSnap(discoveryState(1, 0, 0, 0, 0), sendState(1, agent.QueueCounts{}))
	u, w := openSubjects(t, f)
	mustShow(t, w, "No randomized subject yet")
	f.mu.Lock()
	f.subjectRows = []agent.SubjectRow{pushed("101-001", "Arm A", "Group 1")}
	f.mu.Unlock()
	f.setSnap(t, u, func(s *agent.Snapshot) { s.Services[1].Runs = 2 })
	mustShow(t, w, "1 randomized subject: 1 in SureAdhere.", "101-001")

	f.mu.Lock()
	f.subjectsErr = errors.New("store is locked by another trialsync")
	f.mu.Unlock()
	f.setSnap(t, u, func(s *agent.Snapshot) { s.Services[0].Runs = 2 })
	mustBeRed(t, w, "Could not read the subjects: store is locked by another trialsync")
}

// TestSubjectsExampleLoads: the configuration the screen shows, added to the Rave pull's example,
// loads with the real loader and configures the subject push.
func TestSubjectsExampleLoads(t *testing.T) {
	rave, _, _ := strings.Cut(raveExample, "[[rave.study]]")
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(rave+subjectsExample+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("the example does not load: %v", err)
	}
	if cfg.SureAdhere == nil || len(cfg.Rave.Studies) != 1 || cfg.Rave.Studies[0].ArmItem != "RAND.ARM" || cfg.SureAdhere.Regimens["Arm B"] != "Group 2" {
		t.Fatalf("the example loads as %+v %+v", cfg.Rave, cfg.SureAdhere)
	}
}

// mustShowOverlay checks that the window's top overlay (an open dialog) shows each text.
func mustShowOverlay(t *testing.T, w fyne.Window, want ...string) {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog open")
	}
	texts := visibleTexts(top)
	for _, s := range want {
		if !slices.ContainsFunc(texts, func(x string) bool { return strings.Contains(x, s) }) {
			t.Errorf("the dialog does not show %q; it shows %q", s, texts)
		}
	}
}
