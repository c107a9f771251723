package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/trialsync/trialsync/store/storetest"
	"github.com/trialsync/trialsync/sync/agent"
	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

// The real-window test drives the built binary the way a coordinator does: it opens the GUI on a
// real store under Xvfb with the Rave pull configured against the RWS simulator, goes to every
// screen, clicks Pull now and Verify with the mouse, and reads the verdict's colour from screenshots.
// Screens are recognised by what they paint: the navigation entry of the screen on show is the one
// filled with the theme's primary blue, and the screen's blue button (Pull now, enabled while no
// pull runs; Verify) is the other blue area, right of the navigation.

// guiWait bounds every wait for the window; it keeps a broken build from hanging the suite and is not
// a performance assertion (a loaded two-core machine can take seconds to start a GL window).
const guiWait = 90 * time.Second

// screenNames are the navigation entries in order (Ctrl+1 .. Ctrl+7), as file names for screenshots.
var screenNames = []string{"dashboard", "rave-pull", "exposures", "subjects", "checklists", "audit", "settings"}

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
	shots := os.Getenv("TRIALSYNC_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
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
	g := startGUI(t, bin, path, config, shots)
	nav := make([]image.Rectangle, len(screenNames))
	for i, name := range screenNames {
		if i > 0 {
			g.xdotool("key", "--clearmodifiers", "ctrl+"+strconv.Itoa(i+1))
		}
		img := g.waitFor(name, func(img image.Image) bool {
			r, ok := selectedNav(img)
			return ok && (i == 0 || r.Min.Y > nav[i-1].Min.Y+r.Dy()/2)
		})
		nav[i], _ = selectedNav(img)
		g.save(g.settled(img), fmt.Sprintf("%d-%s.png", i+1, name))
	}
	// The Rave pull screen by mouse: once the first pull (started with the window) has ended, Pull
	// now is enabled; the records entered since then arrive only through it.
	g.click(center(nav[1]))
	img, pullNow := g.waitPullIdle(nav[1], rws, 0)
	g.save(img, "8-rave-pull-first-run.png")
	rws.Advance(rws.TotalRecords())
	before := rws.Requests()
	g.click(center(pullNow))
	g.awayFrom(pullNow)
	img, _ = g.waitPullIdle(nav[1], rws, before)
	g.save(img, "9-rave-pull-after-pull-now.png")

	// Back to the Audit screen by clicking its navigation entry.
	g.click(center(nav[5]))
	audit := g.waitFor("audit (clicked)", func(img image.Image) bool {
		r, ok := selectedNav(img)
		return ok && sameRow(r, nav[5])
	})
	if n := countNear(audit, bannerGreen) + countNear(audit, bannerRed); n > 0 {
		t.Errorf("the audit screen shows %d pixels of a verdict before Verify was clicked", n)
	}
	img = g.verify(audit, "green verdict", bannerGreen)
	g.save(img, "10-audit-verified.png")
	if n := countNear(img, bannerRed); n > 0 {
		t.Errorf("a good store's verdict has %d red pixels", n)
	}
	g.stop()
	if got := cli(t, "", "--store", path, "export", "clinical").stdout; got != want {
		t.Errorf("after Pull now the store holds %d rows, want the whole study's %d:\n%s",
			strings.Count(got, "\n"), strings.Count(want, "\n"), firstDiff(got, want))
	}

	// Second run, after flipping a byte of entry 7 in the closed store, with no configuration (so
	// nothing pulls): the Rave pull screen explains how to configure it, and the verdict is red.
	if err := storetest.ChangeField(path, 7); err != nil {
		t.Fatal(err)
	}
	g = startGUI(t, bin, path, filepath.Join(t.TempDir(), "none.toml"), shots)
	g.click(center(nav[1]))
	img = g.waitFor("rave pull (not configured)", func(img image.Image) bool {
		r, ok := selectedNav(img)
		return ok && sameRow(r, nav[1])
	})
	img = g.settled(img)
	g.save(img, "11-rave-pull-not-configured.png")
	if _, ok := blueButton(img); ok {
		t.Error("Pull now is enabled with nothing configured")
	}
	g.click(center(nav[5]))
	audit = g.waitFor("audit (tampered store)", func(img image.Image) bool {
		r, ok := selectedNav(img)
		return ok && sameRow(r, nav[5])
	})
	img = g.verify(audit, "red verdict", bannerRed)
	g.save(img, "12-audit-tampered.png")
	if n := countNear(img, bannerGreen); n > 0 {
		t.Errorf("a tampered store's verdict has %d green pixels", n)
	}
	g.stop()
}

// TestGUIBackendPull checks the adapter the window sees the pull through, on a real agent, keyring
// and simulator: when the service tree starts, what it reports when it cannot, and that it stops
// with the window's context.
func TestGUIBackendPull(t *testing.T) {
	needKeyring(t)
	rws, err := simrws.Start("127.0.0.1:0", simrws.Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rws.Close() })
	rave := fmt.Sprintf("[rave]\nurl = %q\nauth = \"basic\"\nuser = \"rws.integration\"\n\n[[rave.study]]\noid = \"ALPHA(Prod)\"\n", rws.URL())
	cases := []struct {
		name       string
		config     string // "" for no file
		password   bool
		configured bool
		problem    string // contained in the reported problem; "" for none
		pulls      bool   // a study's run completes
	}{
		{name: "no configuration file"},
		{name: "no rave section", config: "[sureadhere]\nurl = \"https://sureadhere.example.org\"\nregimens = { \"Arm A\" = \"Group 1\" }\n"},
		{name: "bad file", config: "[rave]\nurl = 3\n", problem: "config.toml:2: "},
		{name: "credential missing", config: rave, configured: true,
			problem: "credential rave.password not set (trialsync creds set rave.password)"},
		{name: "pulling", config: rave, password: true, configured: true, pulls: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			isolate(t)
			dir := t.TempDir()
			cfgPath := filepath.Join(dir, "config.toml")
			if tc.config != "" {
				if err := os.WriteFile(cfgPath, []byte(tc.config), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			a, err := agent.Open(t.Context(), agent.Options{StorePath: filepath.Join(dir, "trialsync.db"), ConfigPath: cfgPath,
				LogDir: filepath.Join(dir, "logs"), KeyringService: os.Getenv("TRIALSYNC_KEYRING_SERVICE")})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if tc.password {
				if err := a.SetCredential(t.Context(), "rave.password", "sim-password"); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithCancel(t.Context())
			p := startPulls(ctx, a, cfgPath)
			b := guiBackend{Agent: a, pulls: p}
			st := b.PullStatus()
			deadline := time.After(guiWait)
			for (tc.problem != "" && st.Problem == "") || (tc.pulls && (len(st.Studies) == 0 || st.Studies[0].Runs == 0)) {
				select {
				case <-b.PullChanged():
				case <-deadline:
					t.Fatalf("the pull never reported its state: %+v", st)
				}
				st = b.PullStatus()
			}
			if st.Configured != tc.configured || st.ConfigPath != cfgPath {
				t.Errorf("configured %v at %q, want %v at %q", st.Configured, st.ConfigPath, tc.configured, cfgPath)
			}
			if (tc.problem == "" && st.Problem != "") || !strings.Contains(st.Problem, tc.problem) {
				t.Errorf("problem %q, want one containing %q", st.Problem, tc.problem)
			}
			if tc.pulls {
				if got := st.Studies[0]; got.Study != "ALPHA(Prod)" || got.Err != "" || got.Rows == 0 || got.Written == 0 || got.NextRun.IsZero() {
					t.Errorf("after the first run: %+v", got)
				}
			}
			cancel()
			select {
			case <-p.done:
			case <-time.After(guiWait):
				t.Fatal("the pull did not stop with the window's context")
			}
		})
	}
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

// gui is one running trialsync window.
type gui struct {
	t      *testing.T
	cmd    *exec.Cmd
	out    *lockedBuffer
	exited chan struct{}
	err    error // the process's exit, once exited is closed
	window string
	shots  string
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startGUI runs `trialsync --store path` (no command: the GUI) and finds its window.
func startGUI(t *testing.T, bin, path, config, shots string) *gui {
	t.Helper()
	g := &gui{t: t, out: &lockedBuffer{}, exited: make(chan struct{}), shots: shots}
	g.cmd = exec.Command(bin, "--store", path, "--config", config)
	g.cmd.Stdout, g.cmd.Stderr = g.out, g.out
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		g.err = g.cmd.Wait()
		close(g.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-g.exited:
		default:
			_ = g.cmd.Process.Kill()
			<-g.exited
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), guiWait)
	defer cancel()
	out, err := exec.CommandContext(ctx, "xdotool", "search", "--sync", "--onlyvisible", "--all",
		"--pid", strconv.Itoa(g.cmd.Process.Pid), "--name", "^trialsync$").Output()
	if err != nil {
		t.Fatalf("no trialsync window appeared: %v; trialsync said:\n%s", err, g.out.String())
	}
	g.window = strings.Fields(string(out))[0]
	g.xdotool("windowfocus", "--sync", g.window)
	return g
}

// xdotool runs one xdotool command; a failure ends the test.
func (g *gui) xdotool(args ...string) {
	g.t.Helper()
	if out, err := exec.CommandContext(g.t.Context(), "xdotool", args...).CombinedOutput(); err != nil {
		g.t.Fatalf("xdotool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// click clicks the left mouse button at p, in window coordinates.
func (g *gui) click(p image.Point) {
	g.t.Helper()
	g.xdotool("mousemove", "--window", g.window, strconv.Itoa(p.X), strconv.Itoa(p.Y))
	g.xdotool("click", "1")
}

// capture screenshots the window with ImageMagick's import, as a binary PPM: decoding a PNG for
// every screenshot made the -race build of this test take twice as long.
func (g *gui) capture() image.Image {
	g.t.Helper()
	out, err := exec.CommandContext(g.t.Context(), "import", "-window", g.window, "-depth", "8", "ppm:-").Output()
	if err != nil {
		g.t.Fatalf("import -window %s: %v", g.window, err)
	}
	img, err := decodePPM(out)
	if err != nil {
		g.t.Fatalf("screenshot: %v", err)
	}
	return img
}

// decodePPM reads a binary PPM (P6) with 8-bit samples.
func decodePPM(b []byte) (*image.RGBA, error) {
	r := bytes.NewReader(b)
	var magic string
	var w, h, maxval int
	if _, err := fmt.Fscan(r, &magic, &w, &h, &maxval); err != nil {
		return nil, fmt.Errorf("PPM header: %w", err)
	}
	if magic != "P6" || maxval != 255 || w <= 0 || h <= 0 {
		return nil, fmt.Errorf("PPM header %s %dx%d max %d: want P6 with 8-bit samples", magic, w, h, maxval)
	}
	px := b[len(b)-r.Len()+1:] // one whitespace byte ends the header
	if len(px) != w*h*3 {
		return nil, fmt.Errorf("PPM of %dx%d has %d bytes of pixels, want %d", w, h, len(px), w*h*3)
	}
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i, j := 0, 0; i < len(px); i, j = i+3, j+4 {
		m.Pix[j], m.Pix[j+1], m.Pix[j+2], m.Pix[j+3] = px[i], px[i+1], px[i+2], 0xff
	}
	return m, nil
}

// verify clicks the Audit screen's Verify button and waits for a verdict banner of the given colour.
// A click can land while the screen is still laying out its freshly loaded list (on a loaded machine);
// when no verdict of either colour shows within 20 s, the button is found again and clicked again, up
// to three times, before waitFor's own deadline decides.
func (g *gui) verify(audit image.Image, what string, banner [3]int) image.Image {
	g.t.Helper()
	shown := func(img image.Image) bool { return countNear(img, banner) > 2000 }
	for range 3 {
		g.click(center(verifyButton(g.t, audit)))
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			img := g.capture()
			if shown(img) || countNear(img, bannerGreen)+countNear(img, bannerRed) > 2000 {
				return g.waitFor(what, shown)
			}
			time.Sleep(150 * time.Millisecond)
		}
		audit = g.settled(g.capture())
	}
	return g.waitFor(what, shown)
}

// waitFor screenshots the window until ok accepts a screenshot, and returns it.
func (g *gui) waitFor(what string, ok func(image.Image) bool) image.Image {
	g.t.Helper()
	deadline := time.Now().Add(guiWait)
	for {
		img := g.capture()
		if ok(img) {
			return img
		}
		if time.Now().After(deadline) {
			g.save(img, "failed-"+strings.ReplaceAll(what, " ", "-")+".png")
			g.t.Fatalf("the window never showed %s (last screenshot saved in %s); trialsync said:\n%s",
				what, g.shots, g.out.String())
		}
		select {
		case <-g.exited:
			g.t.Fatalf("trialsync exited (%v) while waiting for %s:\n%s", g.err, what, g.out.String())
		case <-time.After(150 * time.Millisecond):
		}
	}
}

// settled screenshots the window until two screenshots in a row are the same (the screen's data
// has loaded and been drawn), starting from img.
func (g *gui) settled(img image.Image) image.Image {
	g.t.Helper()
	var last image.Image
	return g.waitFor("a settled screen", func(next image.Image) bool {
		prev := last
		if prev == nil {
			prev = img
		}
		last = next
		return samePixels(prev, next)
	})
}

func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	if ra, ok := a.(*image.RGBA); ok {
		if rb, ok := b.(*image.RGBA); ok {
			return bytes.Equal(ra.Pix, rb.Pix)
		}
	}
	bd := a.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				return false
			}
		}
	}
	return true
}

// save writes img as a PNG for people to look at, with the encoder that costs least under -race.
func (g *gui) save(img image.Image, name string) {
	g.t.Helper()
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&b, img); err != nil {
		g.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(g.shots, name), b.Bytes(), 0o644); err != nil {
		g.t.Fatal(err)
	}
}

// stop sends SIGTERM, as a desktop session does at logout, and expects a clean exit: the signal
// quits the app and the agent closes the store.
func (g *gui) stop() {
	g.t.Helper()
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		g.t.Fatal(err)
	}
	select {
	case <-g.exited:
		if g.err != nil {
			g.t.Errorf("trialsync exited with %v after SIGTERM:\n%s", g.err, g.out.String())
		}
	case <-time.After(guiWait):
		_ = g.cmd.Process.Kill()
		<-g.exited
		g.t.Fatalf("trialsync did not exit after SIGTERM:\n%s", g.out.String())
	}
}

// The colours the test recognises: the default theme's primary blue (#296ff6, light and dark
// variants alike) and the verdict banners of app/banner.go.
var (
	bannerGreen = [3]int{0x2e, 0x7d, 0x32}
	bannerRed   = [3]int{0xc6, 0x28, 0x28}
)

func isPrimary(r, g, b int) bool { return b > 200 && r < 110 && g > 80 && g < 170 }

// rgb is the colour at (x, y); straight from the bytes for a screenshot (image.At and its colour
// conversion, once per pixel, make the -race build of this test several times slower).
func rgb(img image.Image, x, y int) (int, int, int) {
	if m, ok := img.(*image.RGBA); ok {
		i := m.PixOffset(x, y)
		return int(m.Pix[i]), int(m.Pix[i+1]), int(m.Pix[i+2])
	}
	r, g, b, _ := img.At(x, y).RGBA()
	return int(r >> 8), int(g >> 8), int(b >> 8)
}

func near(r, g, b int, c [3]int) bool {
	return abs(r-c[0]) <= 8 && abs(g-c[1]) <= 8 && abs(b-c[2]) <= 8
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// countNear counts the pixels within a small distance of c.
func countNear(img image.Image, c [3]int) int {
	n := 0
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			if r, g, b := rgb(img, x, y); near(r, g, b, c) {
				n++
			}
		}
	}
	return n
}

// blueBlobs are the bounding boxes of the connected areas of primary blue larger than a button's
// icon, left to right.
func blueBlobs(img image.Image) []image.Rectangle {
	bd := img.Bounds()
	w, h := bd.Dx(), bd.Dy()
	seen := make([]bool, w*h)
	var out []image.Rectangle
	var stack []image.Point
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if seen[y*w+x] {
				continue
			}
			seen[y*w+x] = true
			if r, g, b := rgb(img, bd.Min.X+x, bd.Min.Y+y); !isPrimary(r, g, b) {
				continue
			}
			box, n := image.Rect(x, y, x+1, y+1), 0
			stack = append(stack[:0], image.Pt(x, y))
			for len(stack) > 0 {
				p := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				n++
				box = box.Union(image.Rect(p.X, p.Y, p.X+1, p.Y+1))
				for _, d := range []image.Point{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
					q := p.Add(d)
					if q.X < 0 || q.Y < 0 || q.X >= w || q.Y >= h || seen[q.Y*w+q.X] {
						continue
					}
					if r, g, b := rgb(img, bd.Min.X+q.X, bd.Min.Y+q.Y); isPrimary(r, g, b) {
						seen[q.Y*w+q.X] = true
						stack = append(stack, q)
					}
				}
			}
			if n > 600 {
				out = append(out, box)
			}
		}
	}
	// left to right: the navigation column first
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Min.X < out[j-1].Min.X; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// selectedNav is the navigation entry drawn as selected: the leftmost blue button.
func selectedNav(img image.Image) (image.Rectangle, bool) {
	b := blueBlobs(img)
	if len(b) == 0 || b[0].Min.X > img.Bounds().Dx()/4 {
		return image.Rectangle{}, false
	}
	return b[0], true
}

// waitPullIdle waits until the Rave pull screen (selected as nav) shows no pull running, after the
// simulator has answered more than after requests: Pull now is blue again (it is disabled while the
// only study pulls), and two screenshots in a row are the same with no request in between (the
// spinner has stopped and the screen has caught up). It returns that screenshot and its Pull now.
func (g *gui) waitPullIdle(nav image.Rectangle, rws *simrws.Server, after int64) (image.Image, image.Rectangle) {
	g.t.Helper()
	var last image.Image
	var lastReqs int64 = -1
	img := g.waitFor("the pull to end with Pull now enabled", func(img image.Image) bool {
		prev, prevReqs := last, lastReqs
		last, lastReqs = img, rws.Requests()
		r, ok := selectedNav(img)
		if !ok || !sameRow(r, nav) || lastReqs <= after {
			return false
		}
		if _, ok := blueButton(img); !ok {
			return false
		}
		return prev != nil && prevReqs == lastReqs && samePixels(prev, img)
	})
	b, _ := blueButton(img)
	return img, b
}

// awayFrom moves the mouse off r, so that the button it leaves is drawn without its hover shade.
func (g *gui) awayFrom(r image.Rectangle) {
	g.t.Helper()
	g.xdotool("mousemove", "--window", g.window, strconv.Itoa(r.Max.X+200), strconv.Itoa(r.Min.Y))
}

// blueButton is the blue button right of the navigation, if the screen shows one.
func blueButton(img image.Image) (image.Rectangle, bool) {
	b := blueBlobs(img)
	if len(b) < 2 {
		return image.Rectangle{}, false
	}
	return b[1], true
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

// verifyButton is the blue button right of the navigation on the Audit screen.
func verifyButton(t *testing.T, img image.Image) image.Rectangle {
	t.Helper()
	b := blueBlobs(img)
	if len(b) < 2 {
		t.Fatalf("no Verify button on the audit screen (blue areas %v)", b)
	}
	return b[1]
}

// sameRow reports whether two navigation entries are the same one (a hovered button may differ by an
// edge pixel).
func sameRow(a, b image.Rectangle) bool {
	return abs(a.Min.Y-b.Min.Y) <= 3 && abs(a.Max.Y-b.Max.Y) <= 3
}

func center(r image.Rectangle) image.Point { return image.Pt((r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2) }
