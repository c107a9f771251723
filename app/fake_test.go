package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"image"
	"image/color"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/software"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/agent"
	"github.com/trialsync/trialsync/sync/config"
)

// fakeBackend stands in for the agent: the screens' behaviour is what is under test here; the real
// agent behind the real window is exercised by cmd/trialsync's Xvfb test.
type fakeBackend struct {
	mu         sync.Mutex
	entries    []store.Entry
	report     store.Report
	status     agent.Status
	verifyErr  error
	statusErr  error
	entriesErr error
	verifies   int
	// When hold is set, the next AuditEntries call takes it and waits for it to close.
	hold chan struct{}
	// When gate is set, VerifyAudit reports half its work, signals reached, and waits for gate.
	gate, reached chan struct{}

	snap        agent.Snapshot
	changed     chan struct{} // the one subscription's signal
	snapLoads   chan struct{} // a token per Snapshot call, for tests that wait for a load
	kicks       []string      // engines kicked, in call order
	quarantine  []store.Quarantined
	quarErr     error
	resolveErr  error
	resolutions []string // "ID: reason", in call order

	credErr  error
	creds    []string // "name=secret", in call order
	resetErr error
	resets   []agent.CursorReset
	resetOut []agent.FeedReset

	searches    []agent.AuditFilter
	exports     []string
	exportErr   error
	settings    agent.Settings
	settingsErr error
	saved       []agent.SettingsChange
	saveErr     error

	exposures    exposureFake  // the Exposures screen's part (exposures_test.go)
	subjectsFake               // the Subjects screen's part (subjects_test.go)
	checklists   checklistFake // the Checklists screen's part (checklists_test.go)
}

func newFake(n int) *fakeBackend {
	f := &fakeBackend{status: agent.Status{StorePath: "/data/trialsync.db", InstallID: "0123456789abcdef",
		Schema: 1, RunID: "20260101T000000Z-abcdef", ConfigPath: "/data/config.toml"},
		snap:    pullSnap(false, ""),
		changed: make(chan struct{}, 1), snapLoads: make(chan struct{}, 1000)}
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := 1; i <= n; i++ {
		f.entries = append(f.entries, store.Entry{Seq: uint64(i), Time: base.Add(time.Duration(i) * time.Minute),
			Actor: "crc.jones", Action: "test.action" + strconv.Itoa(i), Object: "object-" + strconv.Itoa(i),
			Reason: "reason " + strconv.Itoa(i)})
	}
	f.report = store.Report{Entries: uint64(n), Tip: sha256.Sum256([]byte("tip"))}
	return f
}

func (f *fakeBackend) AuditEntries(ctx context.Context, after uint64, limit int) ([]store.Entry, error) {
	f.mu.Lock()
	if hold := f.hold; hold != nil {
		f.hold = nil
		f.mu.Unlock()
		<-hold
		f.mu.Lock()
	}
	defer f.mu.Unlock()
	if f.entriesErr != nil {
		return nil, f.entriesErr
	}
	var out []store.Entry
	for _, e := range f.entries {
		if e.Seq > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *fakeBackend) VerifyAudit(ctx context.Context, progress func(done, total uint64)) (store.Report, error) {
	f.mu.Lock()
	f.verifies++
	gate, reached, rep, err := f.gate, f.reached, f.report, f.verifyErr
	f.mu.Unlock()
	progress(0, 10)
	if gate != nil {
		progress(5, 10)
		close(reached)
		select {
		case <-gate:
		case <-ctx.Done():
			return store.Report{}, ctx.Err()
		}
	}
	progress(10, 10)
	return rep, err
}

func (f *fakeBackend) Status(ctx context.Context) (agent.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.status
	st.AuditCount = uint64(len(f.entries))
	return st, f.statusErr
}

func (f *fakeBackend) Snapshot() agent.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.snap
	s.Services = slices.Clone(s.Services)
	s.Engines = slices.Clone(s.Engines)
	s.Remotes = slices.Clone(s.Remotes)
	select {
	case f.snapLoads <- struct{}{}:
	default: // nobody is counting this many
	}
	return s
}

func (f *fakeBackend) Subscribe() (<-chan struct{}, func()) { return f.changed, func() {} }

func (f *fakeBackend) Kick(engine string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.kicks = append(f.kicks, engine)
}

func (f *fakeBackend) kicked() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.kicks)
}

func (f *fakeBackend) SetCredential(ctx context.Context, name, secret string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.creds = append(f.creds, name+"="+secret)
	if f.credErr != nil {
		return f.credErr
	}
	if !slices.Contains(f.status.Credentials, name) {
		f.status.Credentials = append(f.status.Credentials, name)
	}
	return nil
}

func (f *fakeBackend) ResetCursor(ctx context.Context, r agent.CursorReset) ([]agent.FeedReset, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resets = append(f.resets, r)
	return f.resetOut, f.resetErr
}

func (f *fakeBackend) Quarantine(ctx context.Context, includeResolved bool) ([]store.Quarantined, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.Quarantined
	for _, q := range f.quarantine {
		if includeResolved || !q.Resolved {
			out = append(out, q)
		}
	}
	return out, f.quarErr
}

func (f *fakeBackend) ResolveQuarantine(ctx context.Context, id uint64, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resolutions = append(f.resolutions, strconv.FormatUint(id, 10)+": "+reason)
	if f.resolveErr != nil {
		return f.resolveErr
	}
	for i := range f.quarantine {
		if f.quarantine[i].ID == id {
			f.quarantine[i].Resolved, f.quarantine[i].Resolution = true, reason
			return nil
		}
	}
	return fmt.Errorf("quarantine %d: %w", id, store.ErrNoSuchQuarantine)
}

// setSnap changes the agent's state as the agent would, announces it, and waits until the window
// has loaded and shown it. Call it with the bridge idle (after u.bridge.wait()).
func (f *fakeBackend) setSnap(t *testing.T, u *UI, change func(*agent.Snapshot)) {
	t.Helper()
	u.bridge.wait()
	for len(f.snapLoads) > 0 {
		<-f.snapLoads
	}
	f.mu.Lock()
	change(&f.snap)
	f.mu.Unlock()
	f.changed <- struct{}{}
	select {
	case <-f.snapLoads: // the watcher has counted its job before loading: wait now covers the update
	case <-time.After(guiWait):
		t.Fatal("the window never loaded the changed snapshot")
	}
	u.bridge.wait()
}

// guiWait bounds waits on the window's goroutines; it only keeps a broken build from hanging.
const guiWait = 30 * time.Second

var errFake = errors.New("store is locked by another trialsync (pid 4242)\nclose it first")

// newTestUI opens the GUI on the fake in fyne's software test driver and waits for its first load.
// The screens' places in the navigation.
const (
	ravePullNav   = 1
	exposuresNav  = 2
	subjectsNav   = 3
	checklistsNav = 4
	auditNav      = 5
	settingsNav   = 6
)

// openOn is a test window on the screen at place nav, its first loads done.
func openOn(t *testing.T, b Backend, opts Options, nav int) (*UI, fyne.Window) {
	t.Helper()
	u, w := newTestUI(t, b, opts)
	test.Tap(u.nav[nav])
	u.bridge.wait()
	return u, w
}

// answer types typed (when not "") into a form dialog's entry, then cancels or submits the dialog,
// and waits for what that starts.
func answer(u *UI, d *dialog.FormDialog, entry *widget.Entry, typed string, cancel bool) {
	if typed != "" {
		test.Type(entry, typed)
	}
	if cancel {
		d.Hide()
	} else {
		d.Submit()
	}
	u.bridge.wait()
}

func newTestUI(t *testing.T, b Backend, opts Options) (*UI, fyne.Window) {
	t.Helper()
	a := test.NewTempApp(t)
	u := New(t.Context(), a, b, opts)
	t.Cleanup(u.win.Close)
	u.bridge.wait() // before touching the window: the test driver runs updates on their own goroutines
	u.win.Resize(fyne.NewSize(1120, 720))
	return u, u.win
}

// walkVisible calls visit for o when it is on show and, while visit returns true, for what is on
// show inside it: a container's objects and a widget's rendered parts.
func walkVisible(o fyne.CanvasObject, visit func(fyne.CanvasObject) (inside bool)) {
	if o == nil || !o.Visible() || !visit(o) {
		return
	}
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			walkVisible(c, visit)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			walkVisible(c, visit)
		}
	}
}

// visibleTexts is every text on show in o: labels, buttons and canvas texts, skipping hidden parts.
func visibleTexts(o fyne.CanvasObject) []string {
	var out []string
	walkVisible(o, func(o fyne.CanvasObject) bool {
		switch x := o.(type) {
		case *widget.Label:
			out = append(out, x.Text)
		case *widget.Button:
			out = append(out, x.Text)
		case *canvas.Text:
			out = append(out, x.Text)
		default:
			return true
		}
		return false
	})
	return out
}

// shows reports whether some visible text in the window contains want.
func shows(w fyne.Window, want string) bool {
	for _, s := range visibleTexts(w.Content()) {
		if strings.Contains(s, want) {
			return true
		}
	}
	return false
}

func mustShow(t *testing.T, w fyne.Window, want ...string) {
	t.Helper()
	for _, s := range want {
		if !shows(w, s) {
			t.Errorf("window does not show %q; it shows %q", s, visibleTexts(w.Content()))
		}
	}
}

// countColor paints o in software and counts its pixels of colour c. It moves o to a canvas of its
// own, so it comes last in a test.
func countColor(o fyne.CanvasObject, c color.NRGBA) int {
	return pixelsOf(software.Render(o, test.Theme()), c)
}

// pixelsOf counts the pixels of img whose colour is c, ignoring alpha.
func pixelsOf(img image.Image, c color.NRGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			p := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			if p.R == c.R && p.G == c.G && p.B == c.B {
				n++
			}
		}
	}
	return n
}

// pullSnap is a snapshot with the Rave pull configured or not, the agent's problem, and the pull's
// services.
func pullSnap(configured bool, problem string, studies ...agent.ServiceState) agent.Snapshot {
	return agent.Snapshot{ConfigPath: "/data/config.toml", Problem: problem,
		Engines:  []agent.EngineState{{Name: agent.EngineRavePull, Title: "Rave pull", Configured: configured}},
		Services: studies}
}

// study is a Rave pull service of the study oid, not yet run.
func study(oid string) agent.ServiceState {
	return agent.ServiceState{Name: "Rave pull " + oid, Engine: agent.EngineRavePull, Subject: oid, Remote: agent.RemoteRave}
}

// pulled is a pull's summary with the given counts.
func pulled(pages, rows, written, quarantined int) agent.Summary {
	return agent.Summary{Text: fmt.Sprintf("%d pages", pages), Figures: []agent.Figure{
		{Name: "pages", Value: pages}, {Name: "rows", Value: rows}, {Name: "written", Value: written},
		{Name: "quarantined", Value: quarantined}}}
}

func (f *fakeBackend) SearchAudit(ctx context.Context, af agent.AuditFilter, limit int) ([]store.Entry, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.searches = append(f.searches, af)
	if f.entriesErr != nil {
		return nil, 0, f.entriesErr
	}
	var out []store.Entry
	for _, e := range f.entries {
		if af.Match(e) {
			out = append(out, e)
		}
	}
	total := len(out)
	if len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, total, nil
}

func (f *fakeBackend) ExportAuditFile(ctx context.Context, path string) (store.Checkpoint, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.exports = append(f.exports, path)
	return store.Checkpoint{Count: uint64(len(f.entries)), Tip: strings.Repeat("ab", 32)}, len(f.entries), f.exportErr
}

// Settings is the fake's configuration (f.settings; an empty one when unset) with credentials as the
// agent lists them: the contract's, then the keyring's others, set ones with a made-up fingerprint.
func (f *fakeBackend) Settings(ctx context.Context) (agent.Settings, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.settings
	s.Config = cloneConfig(f.settings.Config)
	if s.Config == nil {
		s.Config = &config.Config{Path: f.status.ConfigPath}
	}
	if s.OwnerFields == nil {
		s.OwnerFields = []string{"status", "evidence_doc_id", "planned_activation_date"}
		s.Owners = map[string]config.Owner{"status": config.OwnerEDC, "evidence_doc_id": config.OwnerEDC,
			"planned_activation_date": config.OwnerCTMS}
	}
	s.Owners = maps.Clone(s.Owners)
	names := slices.Clone(agent.KnownCredentials)
	for _, n := range f.status.Credentials {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	s.Credentials = nil
	for _, n := range names {
		c := agent.CredentialState{Name: n}
		if slices.Contains(f.status.Credentials, n) {
			c.Set, c.Fingerprint = true, fmt.Sprintf("%012x", len(n))
		}
		s.Credentials = append(s.Credentials, c)
	}
	return s, f.settingsErr
}

func (f *fakeBackend) SaveSettings(ctx context.Context, ch agent.SettingsChange) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.saved = append(f.saved, ch)
	if f.saveErr != nil {
		return nil, f.saveErr
	}
	f.settings.Config = cloneConfig(ch.Config)
	return []string{"saved"}, nil
}
