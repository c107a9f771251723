package main

import (
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trialsync/trialsync/cmd/trialsync/internal/guitest"
	"github.com/trialsync/trialsync/store/storetest"
	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

// The real-window test drives the built binary the way a coordinator does: it opens the GUI on a
// real store under Xvfb with the Rave pull configured against the RWS simulator, goes to every
// screen, clicks Pull now and Verify with the mouse, and reads the verdict's colour from screenshots
// (guitest recognises the screen on show by its navigation entry and a screen's action button by
// their shapes and colour).

// screenNames are the navigation entries in order (Ctrl+1 .. Ctrl+7), as file names for screenshots.
var screenNames = []string{"dashboard", "rave-pull", "exposures", "subjects", "checklists", "audit", "settings"}

// The verdict banners' colours (app/banner.go).
var (
	bannerGreen = guitest.Colour{0x2e, 0x7d, 0x32}
	bannerRed   = guitest.Colour{0xc6, 0x28, 0x28}
)

// screenshotDir is where the real-window tests save their screenshots: TRIALSYNC_SCREENSHOTS (make test
// sets bin/screenshots, so they stay as the run's artifacts), else a directory of the test's own.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("TRIALSYNC_SCREENSHOTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestGUIRealWindow(t *testing.T) {
	if os.Getenv("DISPLAY") == "" || os.Getenv("TRIALSYNC_XVFB") != "1" {
		t.Skip("needs an X display: run through make test (.ci/with-session starts Xvfb and sets TRIALSYNC_XVFB=1)")
	}
	needKeyring(t)
	for _, tool := range []string{"xdotool", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing (make deps-test installs it): %v", tool, err)
		}
	}
	shots := screenshotDir(t)
	bin := buildBinary(t)
	service, _ := isolate(t)
	path := seedStore(t, service, 20)
	// The simulator releases only the first records at start; the rest come before "Pull now".
	const firstVisible = 40
	rws, config := pullSetup(t, simrws.Options{Seed: 3, Visible: firstVisible})
	if total := rws.TotalRecords(); total <= firstVisible {
		t.Fatalf("the simulated study has %d records, want more than %d", total, firstVisible)
	}
	if out, err := command(t, bin, "sim-password\n", "--store", path, "--config", config,
		"creds", "set", "rave.password"); err != nil {
		t.Fatalf("creds set: %v\n%s", err, out)
	}
	// What the store must hold in the end: the whole study pulled in one go into another store.
	_, refConfig := pullSetup(t, simrws.Options{Seed: 3})
	refStore := filepath.Join(t.TempDir(), "ref.db")
	if r := cli(t, "", "--store", refStore, "--config", refConfig, "pull", "--once"); r.code != 0 {
		t.Fatalf("reference pull: exit %d: %s", r.code, r.stderr)
	}
	want := cli(t, "", "--store", refStore, "export", "clinical").stdout
	t.Logf("screenshots in %s", shots)

	// First run: the pull starts with the window; every screen by keyboard, then Pull now and
	// Verify by mouse on the good store: green.
	w := guitest.Start(t, bin, shots, "--store", path, "--config", config)
	nav := make([]image.Rectangle, len(screenNames))
	for i, name := range screenNames {
		if i > 0 {
			w.Key(fmt.Sprintf("ctrl+%d", i+1))
		}
		img := w.WaitFor(name, func(img *image.RGBA) bool {
			r, ok := guitest.SelectedNav(img)
			return ok && (i == 0 || r.Min.Y > nav[i-1].Min.Y+r.Dy()/2)
		})
		nav[i], _ = guitest.SelectedNav(img)
		w.Save(w.Settled(img), fmt.Sprintf("%d-%s.png", i+1, name))
	}
	// The Rave pull screen by mouse: once the first pull (started with the window) has ended, Pull
	// now is enabled; the records entered since then arrive only through it.
	w.Click(guitest.Center(nav[1]))
	img, pullNow := waitPullIdle(t, w, nav[1], rws, 0)
	w.Save(img, "8-rave-pull-first-run.png")
	rws.Advance(rws.TotalRecords())
	before := rws.Requests()
	w.Click(guitest.Center(pullNow))
	w.AwayFrom(pullNow)
	img, _ = waitPullIdle(t, w, nav[1], rws, before)
	w.Save(img, "9-rave-pull-after-pull-now.png")

	// Back to the Audit screen by clicking its navigation entry.
	w.Click(guitest.Center(nav[5]))
	audit := w.WaitFor("audit (clicked)", onScreen(nav[5]))
	if n := guitest.CountNear(audit, bannerGreen) + guitest.CountNear(audit, bannerRed); n > 0 {
		t.Errorf("the audit screen shows %d pixels of a verdict before Verify was clicked", n)
	}
	img = verify(t, w, audit, "green verdict", bannerGreen)
	w.Save(img, "10-audit-verified.png")
	if n := guitest.CountNear(img, bannerRed); n > 0 {
		t.Errorf("a good store's verdict has %d red pixels", n)
	}
	w.Stop()
	if got := cli(t, "", "--store", path, "export", "clinical").stdout; got != want {
		t.Errorf("after Pull now the store holds %d rows, want the whole study's %d:\n%s",
			strings.Count(got, "\n"), strings.Count(want, "\n"), firstDiff(got, want))
	}

	// Second run, after flipping a byte of entry 7 in the closed store, with no configuration (so
	// nothing pulls): the Rave pull screen explains how to configure it, and the verdict is red.
	if err := storetest.ChangeField(path, 7); err != nil {
		t.Fatal(err)
	}
	w = guitest.Start(t, bin, shots, "--store", path, "--config", filepath.Join(t.TempDir(), "none.toml"))
	w.Click(guitest.Center(nav[1]))
	img = w.Settled(w.WaitFor("rave pull (not configured)", onScreen(nav[1])))
	w.Save(img, "11-rave-pull-not-configured.png")
	if _, ok := guitest.ActionButton(img); ok {
		t.Error("Pull now is enabled with nothing configured")
	}
	w.Click(guitest.Center(nav[5]))
	audit = w.WaitFor("audit (tampered store)", onScreen(nav[5]))
	img = verify(t, w, audit, "red verdict", bannerRed)
	w.Save(img, "12-audit-tampered.png")
	if n := guitest.CountNear(img, bannerGreen); n > 0 {
		t.Errorf("a tampered store's verdict has %d green pixels", n)
	}
	w.Stop()
}

// onScreen accepts a screenshot whose selected navigation entry is nav.
func onScreen(nav image.Rectangle) func(*image.RGBA) bool {
	return func(img *image.RGBA) bool {
		r, ok := guitest.SelectedNav(img)
		return ok && guitest.SameRow(r, nav)
	}
}

// verify clicks the Audit screen's Verify button and waits for a verdict banner of the given colour.
// A click can land while the screen is still laying out its freshly loaded list (on a loaded machine);
// when no verdict of either colour shows within 20 s, the button is found again and clicked again, up
// to three times, before WaitFor's own deadline decides.
func verify(t *testing.T, w *guitest.Window, audit *image.RGBA, what string, banner guitest.Colour) *image.RGBA {
	t.Helper()
	shown := func(img *image.RGBA) bool { return guitest.CountNear(img, banner) > 2000 }
	for range 3 {
		b, ok := guitest.ActionButton(audit)
		if !ok {
			t.Fatal("no Verify button on the audit screen")
		}
		w.Click(guitest.Center(b))
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			img := w.Capture()
			if shown(img) || guitest.CountNear(img, bannerGreen)+guitest.CountNear(img, bannerRed) > 2000 {
				return w.WaitFor(what, shown)
			}
			time.Sleep(150 * time.Millisecond)
		}
		audit = w.Settled(w.Capture())
	}
	return w.WaitFor(what, shown)
}

// waitPullIdle waits until the Rave pull screen (selected as nav) shows no pull running, after the
// simulator has answered more than after requests: Pull now is blue again (it is disabled while the
// only study pulls), and two screenshots in a row are the same with no request in between (the
// spinner has stopped and the screen has caught up). It returns that screenshot and its Pull now.
func waitPullIdle(t *testing.T, w *guitest.Window, nav image.Rectangle, rws *simrws.Server, after int64) (*image.RGBA, image.Rectangle) {
	t.Helper()
	var last *image.RGBA
	var lastReqs int64 = -1
	img := w.WaitFor("the pull to end with Pull now enabled", func(img *image.RGBA) bool {
		prev, prevReqs := last, lastReqs
		last, lastReqs = img, rws.Requests()
		if !onScreen(nav)(img) || lastReqs <= after {
			return false
		}
		if _, ok := guitest.ActionButton(img); !ok {
			return false
		}
		return prev != nil && prevReqs == lastReqs && guitest.SamePixels(prev, img)
	})
	b, _ := guitest.ActionButton(img)
	return img, b
}

// TestGUINoDisplay checks the contract's "no command without a display": say so, point to --help.
func TestGUINoDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	r := cli(t, "", "--store", filepath.Join(t.TempDir(), "trialsync.db"))
	oneLineError(t, r, 1, "no display to open the GUI on")
	if !strings.Contains(r.stderr, "trialsync --help") {
		t.Errorf("stderr %q does not point to --help", r.stderr)
	}
}

// buildBinary builds trialsync as `make build` does, into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = "/usr/local/go/bin/go" // where the Makefile adds it to PATH
	}
	bin := filepath.Join(t.TempDir(), "trialsync")
	out, err := exec.CommandContext(t.Context(), goCmd, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// command runs the binary to completion with stdin.
func command(t *testing.T, bin, stdin string, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	return cmd.CombinedOutput()
}

// firstDiff is the first line where got and want differ, for a failure message.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i+1, a, b)
		}
	}
	return ""
}
