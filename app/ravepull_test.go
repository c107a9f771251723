package app

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/agent"
	"github.com/trialsync/trialsync/sync/config"
)

// visibleLabels is every label on show in o.
func visibleLabels(o fyne.CanvasObject) []*widget.Label {
	var out []*widget.Label
	walkVisible(o, func(o fyne.CanvasObject) bool {
		l, ok := o.(*widget.Label)
		if ok {
			out = append(out, l)
		}
		return !ok
	})
	return out
}

// labelShowing is the visible label whose text contains want; the test fails when there is none.
func labelShowing(t *testing.T, w fyne.Window, want string) *widget.Label {
	t.Helper()
	for _, l := range visibleLabels(w.Content()) {
		if strings.Contains(l.Text, want) {
			return l
		}
	}
	t.Fatalf("no label shows %q; the window shows %q", want, visibleTexts(w.Content()))
	return nil
}

// mustBeRed checks that the label showing want is drawn in the theme's error colour.
func mustBeRed(t *testing.T, w fyne.Window, want string) {
	t.Helper()
	if l := labelShowing(t, w, want); l.Importance != widget.DangerImportance {
		t.Errorf("%q is not shown as an error (importance %v)", l.Text, l.Importance)
	}
}

// openRavePull opens the GUI on f and goes to the Rave pull screen.
func openRavePull(t *testing.T, f *fakeBackend) (*UI, fyne.Window) {
	t.Helper()
	return openOn(t, f, Options{}, ravePullNav)
}

func TestRavePullStates(t *testing.T) {
	now := time.Now()
	end := now.Add(-3 * time.Minute)
	next := now.Add(2 * time.Minute)
	done := study("ALPHA(Prod)")
	done.Runs, done.LastStart, done.LastEnd, done.NextRun, done.Last = 2, end.Add(-5*time.Second), end, next, pulled(12, 4872, 130, 2)
	running := study("BETA(Prod)")
	running.Running, running.LastStart = true, now
	failed := done
	failed.Err = `study ALPHA(Prod): GET datasets/ClinicalAuditRecords.odm: 503 Service Unavailable`
	failed.NextRun = now.Add(5 * time.Second)
	stopped := done
	stopped.Stopped, stopped.NextRun = true, time.Time{}
	stopped.Err = "credential rave.password not set (trialsync creds set rave.password)"
	stopped.Hint = "It starts again when a credential it uses (rave.password) is set."
	offline := done
	offline.Offline, offline.NextRun = true, time.Time{}
	offline.Err = "dial tcp 10.0.0.1:443: connect: connection refused"

	cases := []struct {
		name    string
		snap    agent.Snapshot
		screen  []string // shown on the Rave pull screen
		red     []string // shown there in red
		dash    []string // shown on the dashboard
		dashRed []string
		not     []string // shown on neither
		canPull bool
	}{
		{
			name:   "not configured",
			snap:   pullSnap(false, ""),
			screen: []string{"The Rave pull is not configured", "Add a [rave] section like this one to /data/config.toml:", "[[rave.study]]", "trialsync creds set rave.password"},
			dash:   []string{"Not configured: add a [rave] section"},
			not:    []string{"Study", "The pull is not running"},
		},
		{
			name:    "configuration broken",
			snap:    pullSnap(false, "/data/config.toml:3: rave.url: not an http(s) URL"),
			red:     []string{"The pull is not running: /data/config.toml:3: rave.url: not an http(s) URL. Fix this, then reopen trialsync."},
			dashRed: []string{"Not running: /data/config.toml:3: rave.url: not an http(s) URL"},
			not:     []string{"The Rave pull is not configured", "Study"},
		},
		{
			name:   "starting",
			snap:   pullSnap(true, ""),
			dash:   []string{"Starting…"},
			not:    []string{"The Rave pull is not configured", "Study", "The pull is not running"},
			screen: []string{"Pull now"},
		},
		{
			name:   "first run",
			snap:   pullSnap(true, "", running),
			screen: []string{"Study", "Quarantined", "BETA(Prod)", "pulling…"},
			dash:   []string{"BETA(Prod): first pull running…"},
		},
		{
			name: "done",
			snap: pullSnap(true, "", done),
			screen: []string{"ALPHA(Prod)", "idle", end.Format("15:04:05"), "12", "4,872", "130", "2",
				next.Format("15:04:05")},
			dash:    []string{"ALPHA(Prod): last pull " + end.Format("15:04") + ", 4,872 rows, 2 quarantined, next " + next.Format("15:04")},
			not:     []string{"failed", "pulling…"},
			canPull: true,
		},
		{
			name:    "failed",
			snap:    pullSnap(true, "", failed),
			red:     []string{"failed", "ALPHA(Prod): the last run failed: study ALPHA(Prod): GET datasets/ClinicalAuditRecords.odm: 503 Service Unavailable. Next try at " + failed.NextRun.Format("15:04:05") + "."},
			dashRed: []string{"ALPHA(Prod): last pull failed at " + end.Format("15:04") + ": study ALPHA(Prod): GET datasets/ClinicalAuditRecords.odm: 503 Service Unavailable. Next try at " + failed.NextRun.Format("15:04") + "."},
			canPull: true,
		},
		{
			name: "stopped for a credential",
			snap: pullSnap(true, "", stopped),
			red: []string{"stopped", "ALPHA(Prod): the pull has stopped: credential rave.password not set (trialsync creds set rave.password). " +
				"It starts again when a credential it uses (rave.password) is set."},
			dashRed: []string{"ALPHA(Prod): stopped: credential rave.password not set (trialsync creds set rave.password). It starts again"},
			not:     []string{"Next try", "The pull is not running"},
		},
		{
			name:    "remote offline",
			snap:    pullSnap(true, "", offline),
			red:     []string{"offline", "ALPHA(Prod): Rave cannot be reached: dial tcp 10.0.0.1:443: connect: connection refused. The pull resumes as soon as it answers."},
			dashRed: []string{"ALPHA(Prod): Rave cannot be reached (dial tcp 10.0.0.1:443: connect: connection refused); the pull resumes when it answers."},
			not:     []string{"Next try"},
			canPull: true,
		},
		{
			name:    "one of two running",
			snap:    pullSnap(true, "", done, running),
			screen:  []string{"ALPHA(Prod)", "BETA(Prod)", "idle", "pulling…"},
			dash:    []string{"ALPHA(Prod): last pull", "BETA(Prod): first pull running…"},
			canPull: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(1)
			f.snap = tc.snap
			u, w := newTestUI(t, f, Options{})
			mustShow(t, w, tc.dash...)
			for _, s := range tc.dashRed {
				mustBeRed(t, w, s)
			}
			for _, s := range tc.not {
				if shows(w, s) {
					t.Errorf("the dashboard shows %q", s)
				}
			}

			test.Tap(u.nav[ravePullNav])
			u.bridge.wait()
			mustShow(t, w, tc.screen...)
			for _, s := range tc.red {
				mustBeRed(t, w, s)
			}
			for _, s := range tc.not {
				if shows(w, s) {
					t.Errorf("the Rave pull screen shows %q", s)
				}
			}
			if got := !u.rave.pullNow.Disabled(); got != tc.canPull {
				t.Errorf("Pull now enabled = %v, want %v", got, tc.canPull)
			}
			// Pull now asks the agent exactly when it is enabled, and only for the Rave pull.
			test.Tap(u.rave.pullNow)
			u.bridge.wait()
			want := []string(nil)
			if tc.canPull {
				want = []string{agent.EngineRavePull}
			}
			if !slices.Equal(f.kicks, want) {
				t.Errorf("Pull now kicked %q, want %q", f.kicks, want)
			}
			// The spinner turns while, and only while, a study is pulling.
			for i, st := range tc.snap.Services {
				if a := u.rave.rows[i].activity; a.Visible() != st.Running {
					t.Errorf("%s: activity shown = %v while running = %v", st.Subject, a.Visible(), st.Running)
				}
			}
		})
	}
}

// TestRavePullLiveUpdates: the screens follow the agent's announcements without being reopened,
// and a run that ends reloads the quarantine.
func TestRavePullLiveUpdates(t *testing.T) {
	f := newFake(1)
	f.snap = pullSnap(true, "")
	u, w := openRavePull(t, f)
	mustShow(t, w, "nothing awaiting review")

	f.setSnap(t, u, func(s *agent.Snapshot) {
		st := study("ALPHA(Prod)")
		st.Running, st.LastStart = true, time.Now()
		s.Services = []agent.ServiceState{st}
	})
	mustShow(t, w, "ALPHA(Prod)", "pulling…")
	if !u.rave.pullNow.Disabled() {
		t.Error("Pull now is enabled while the only study is pulling")
	}

	f.mu.Lock()
	f.quarantine = []store.Quarantined{{ID: 1, Time: time.Now(), Source: "ALPHA(Prod)/audit startid=1000",
		Reason: "ItemData without ItemOID", Fragment: "<ItemData Value=\"1\"/>"}}
	f.mu.Unlock()
	f.setSnap(t, u, func(s *agent.Snapshot) {
		st := study("ALPHA(Prod)")
		st.Runs, st.LastEnd, st.NextRun, st.Last = 1, time.Now(), time.Now().Add(time.Hour), pulled(3, 1200, 1200, 1)
		s.Services[0] = st
	})
	mustShow(t, w, "idle", "1,200", "1 fragment awaiting review", "ALPHA(Prod)/audit startid=1000")
	if shows(w, "pulling…") {
		t.Error("the screen still shows the finished run as pulling")
	}
	if u.rave.pullNow.Disabled() {
		t.Error("Pull now is disabled after the run ended")
	}

	// The dashboard follows too.
	test.Tap(u.nav[0])
	u.bridge.wait()
	f.setSnap(t, u, func(s *agent.Snapshot) { s.Services[0].Err = "connection refused" })
	mustBeRed(t, w, "ALPHA(Prod): last pull failed at")
}

func quarantined() []store.Quarantined {
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	return []store.Quarantined{
		{ID: 4, Time: at, Source: "ALPHA(Prod)/audit startid=1000", Reason: "ItemData without ItemOID",
			Fragment: "<SubjectData SubjectKey=\"101-001\"><ItemData Value=\"x\"/></SubjectData>"},
		{ID: 9, Time: at.Add(time.Minute), Source: "ALPHA(Prod)/dataset regular", Reason: "FormRepeatKey \"a\" is not a number",
			Fragment: "<FormData FormOID=\"VS\" FormRepeatKey=\"a\"/>"},
	}
}

func TestQuarantineList(t *testing.T) {
	f := newFake(1)
	f.quarantine = quarantined()
	f.quarantine = append(f.quarantine, store.Quarantined{ID: 11, Source: "resolved/source", Resolved: true})
	u, w := openRavePull(t, f)
	q := u.rave.quarantine
	mustShow(t, w, "2 fragments awaiting review", noFragment)
	if len(q.items) != 2 || q.items[0].ID != 4 || q.items[1].ID != 9 {
		t.Fatalf("listed %+v, want the unresolved fragments 4 and 9", q.items)
	}
	for col, want := range []string{"9", time.Date(2026, 3, 4, 5, 7, 7, 0, time.UTC).Local().Format("2006-01-02 15:04:05"),
		"ALPHA(Prod)/dataset regular", `FormRepeatKey "a" is not a number`} {
		if got := quarantineCell(q.items[1], col); got != want {
			t.Errorf("column %s: %q, want %q", quarantineColumns[col].name, got, want)
		}
	}
	if !q.resolve.Disabled() {
		t.Error("Resolve… is enabled with nothing selected")
	}
	q.table.Select(widget.TableCellID{Row: 1, Col: 2})
	mustShow(t, w, `<FormData FormOID="VS" FormRepeatKey="a"/>`)
	if q.resolve.Disabled() {
		t.Error("Resolve… is disabled with a fragment selected")
	}
}

func TestQuarantineListError(t *testing.T) {
	f := newFake(1)
	f.quarErr = errFake
	_, w := openRavePull(t, f)
	mustBeRed(t, w, "Could not read the quarantine: store is locked by another trialsync (pid 4242) close it first")
}

// TestQuarantineResolve: a fragment is resolved only with a reason; without one the dialog refuses
// and nothing reaches the agent.
func TestQuarantineResolve(t *testing.T) {
	cases := []struct {
		name       string
		typed      string // the reason typed, "" for none
		cancel     bool
		resolveErr error
		want       []string // resolutions the agent received
		shows      []string
		red        string
		remaining  int
	}{
		{name: "with reason", typed: "checked against the source document", want: []string{"9: checked against the source document"},
			shows: []string{"Fragment 9 resolved.", "1 fragment awaiting review"}, remaining: 1},
		{name: "reason trimmed", typed: "  duplicate of 4 \t", want: []string{"9: duplicate of 4"}, remaining: 1},
		{name: "no reason", remaining: 2},
		{name: "blank reason", typed: "   ", remaining: 2},
		{name: "cancelled", typed: "changed my mind", cancel: true, remaining: 2},
		{name: "agent refuses", typed: "ok", resolveErr: errFake, want: []string{"9: ok"},
			red: "Could not resolve fragment 9: store is locked", remaining: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(1)
			f.quarantine = quarantined()
			f.resolveErr = tc.resolveErr
			u, w := openRavePull(t, f)
			q := u.rave.quarantine
			q.table.Select(widget.TableCellID{Row: 1, Col: 0})
			test.Tap(q.resolve)
			d, reason := q.dialog, q.reason
			if d == nil {
				t.Fatal("Resolve… opened no dialog")
			}
			answer(u, d, reason, tc.typed, tc.cancel)
			refused := strings.TrimSpace(tc.typed) == "" && !tc.cancel
			if refused && q.dialog == nil {
				t.Error("the dialog accepted a blank reason")
			}
			if !slices.Equal(f.resolutions, tc.want) {
				t.Errorf("the agent received %q, want %q", f.resolutions, tc.want)
			}
			mustShow(t, w, tc.shows...)
			if tc.red != "" {
				mustBeRed(t, w, tc.red)
			}
			if len(q.items) != tc.remaining {
				t.Errorf("%d fragments listed after, want %d", len(q.items), tc.remaining)
			}
		})
	}
}

// TestQuarantineSubmitRefusesBlank: the last guard before the agent, for a dialog that let a blank
// reason through.
func TestQuarantineSubmitRefusesBlank(t *testing.T) {
	f := newFake(1)
	f.quarantine = quarantined()
	u, w := openRavePull(t, f)
	u.rave.quarantine.submit(4, " \n ")
	u.bridge.wait()
	if len(f.resolutions) != 0 {
		t.Fatalf("a blank reason reached the agent: %q", f.resolutions)
	}
	mustBeRed(t, w, "Fragment 4 was not resolved: a reason is required")
}

// TestRaveExampleLoads: the configuration the screen suggests is one the loader accepts.
func TestRaveExampleLoads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(raveExample+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("the example does not load: %v", err)
	}
	if cfg.Rave == nil || len(cfg.Rave.Studies) != 1 || cfg.Rave.Poll != 5*time.Minute {
		t.Fatalf("the example loads as %+v", cfg.Rave)
	}
}
