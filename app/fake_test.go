package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"image/color"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/software"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/trialsync/trialsync/store"
)

// fakeBackend stands in for the agent: the screens' behaviour is what is under test here; the real
// agent behind the real window is exercised by cmd/trialsync's Xvfb test.
type fakeBackend struct {
	mu         sync.Mutex
	entries    []store.Entry
	report     store.Report
	status     Status
	verifyErr  error
	statusErr  error
	entriesErr error
	verifies   int
	// When hold is set, the next AuditEntries call takes it and waits for it to close.
	hold chan struct{}
	// When gate is set, VerifyAudit reports half its work, signals reached, and waits for gate.
	gate, reached chan struct{}

	pull        PullStatus
	changed     chan struct{} // PullChanged
	pullLoads   chan struct{} // a token per PullStatus call, for tests that wait for a load
	pullNows    int
	quarantine  []store.Quarantined
	quarErr     error
	resolveErr  error
	resolutions []string // "ID: reason", in call order
}

func newFake(n int) *fakeBackend {
	f := &fakeBackend{status: Status{StorePath: "/data/trialsync.db", InstallID: "0123456789abcdef",
		Schema: 1, RunID: "20260101T000000Z-abcdef", ConfigPath: "/data/config.toml"},
		pull:    PullStatus{ConfigPath: "/data/config.toml"},
		changed: make(chan struct{}, 1), pullLoads: make(chan struct{}, 1000)}
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

func (f *fakeBackend) Status(ctx context.Context) (Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.status
	st.AuditCount = uint64(len(f.entries))
	return st, f.statusErr
}

func (f *fakeBackend) PullStatus() PullStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.pull
	st.Studies = slices.Clone(st.Studies)
	select {
	case f.pullLoads <- struct{}{}:
	default: // nobody is counting this many
	}
	return st
}

func (f *fakeBackend) PullChanged() <-chan struct{} { return f.changed }

func (f *fakeBackend) PullNow() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pullNows++
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

// setPull changes the pull's state as the agent would, announces it, and waits until the window
// has loaded and shown it. Call it with the bridge idle (after u.bridge.wait()).
func (f *fakeBackend) setPull(t *testing.T, u *UI, change func(*PullStatus)) {
	t.Helper()
	u.bridge.wait()
	for len(f.pullLoads) > 0 {
		<-f.pullLoads
	}
	f.mu.Lock()
	change(&f.pull)
	f.mu.Unlock()
	f.changed <- struct{}{}
	select {
	case <-f.pullLoads: // the watcher has counted its job before loading: wait now covers the update
	case <-time.After(guiWait):
		t.Fatal("the window never loaded the changed pull state")
	}
	u.bridge.wait()
}

// guiWait bounds waits on the window's goroutines; it only keeps a broken build from hanging.
const guiWait = 30 * time.Second

var errFake = errors.New("store is locked by another trialsync (pid 4242)\nclose it first")

// newTestUI opens the GUI on the fake in fyne's software test driver and waits for its first load.
func newTestUI(t *testing.T, b Backend, opts Options) (*UI, fyne.Window) {
	t.Helper()
	a := test.NewTempApp(t)
	u := New(t.Context(), a, b, opts)
	t.Cleanup(u.win.Close)
	u.bridge.wait() // before touching the window: the test driver runs updates on their own goroutines
	u.win.Resize(fyne.NewSize(1120, 720))
	return u, u.win
}

// visibleTexts is every text on show in o: labels, buttons and canvas texts, skipping hidden parts.
func visibleTexts(o fyne.CanvasObject) []string {
	if o == nil || !o.Visible() {
		return nil
	}
	var out []string
	switch x := o.(type) {
	case *widget.Label:
		return []string{x.Text}
	case *widget.Button:
		return []string{x.Text}
	case *canvas.Text:
		return []string{x.Text}
	case *fyne.Container:
		for _, c := range x.Objects {
			out = append(out, visibleTexts(c)...)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			out = append(out, visibleTexts(c)...)
		}
	}
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
	img := software.Render(o, test.Theme())
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if uint8(r>>8) == c.R && uint8(g>>8) == c.G && uint8(bl>>8) == c.B {
				n++
			}
		}
	}
	return n
}
