package guitest

import (
	"bytes"
	"context"
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
)

// Wait bounds every wait for the window; it keeps a broken build from hanging the suite and is not a
// performance assertion (a loaded two-core machine can take seconds to start a GL window).
const Wait = 90 * time.Second

// Window is one running trialsync process and its window.
type Window struct {
	t      testing.TB
	cmd    *exec.Cmd
	out    *lockedBuffer
	exited chan struct{}
	err    error // the process's exit, once exited is closed
	id     string
	shots  string
}

// Start runs the binary with args (no command: the GUI), finds its window titled "trialsync" and
// focuses it. Screenshots saved with Save go to the directory shots. The process is killed at the
// test's end if it is still running.
func Start(t testing.TB, bin, shots string, args ...string) *Window {
	t.Helper()
	w := &Window{t: t, out: &lockedBuffer{}, exited: make(chan struct{}), shots: shots}
	w.cmd = exec.Command(bin, args...)
	w.cmd.Stdout, w.cmd.Stderr = w.out, w.out
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		w.err = w.cmd.Wait()
		close(w.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-w.exited:
		default:
			_ = w.cmd.Process.Kill()
			<-w.exited
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	out, err := exec.CommandContext(ctx, "xdotool", "search", "--sync", "--onlyvisible", "--all",
		"--pid", strconv.Itoa(w.cmd.Process.Pid), "--name", "^trialsync$").Output()
	if err != nil {
		t.Fatalf("no trialsync window appeared: %v; trialsync said:\n%s", err, w.out.String())
	}
	w.id = strings.Fields(string(out))[0]
	w.Xdotool("windowfocus", "--sync", w.id)
	return w
}

// Output is what the process has written so far.
func (w *Window) Output() string { return w.out.String() }

// Xdotool runs one xdotool command; a failure ends the test.
func (w *Window) Xdotool(args ...string) {
	w.t.Helper()
	if out, err := exec.Command("xdotool", args...).CombinedOutput(); err != nil {
		w.t.Fatalf("xdotool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// Key types a key combination, e.g. "ctrl+2".
func (w *Window) Key(keys string) { w.t.Helper(); w.Xdotool("key", "--clearmodifiers", keys) }

// Click clicks the left mouse button at p, in window coordinates.
func (w *Window) Click(p image.Point) {
	w.t.Helper()
	w.Xdotool("mousemove", "--window", w.id, strconv.Itoa(p.X), strconv.Itoa(p.Y))
	w.Xdotool("click", "1")
}

// AwayFrom moves the mouse off r, so that the button it leaves is drawn without its hover shade.
func (w *Window) AwayFrom(r image.Rectangle) {
	w.t.Helper()
	w.Xdotool("mousemove", "--window", w.id, strconv.Itoa(r.Max.X+200), strconv.Itoa(r.Min.Y))
}

// Capture screenshots the window with ImageMagick's import, as a binary PPM: decoding a PNG for
// every screenshot made the -race build of the test take twice as long.
func (w *Window) Capture() *image.RGBA {
	w.t.Helper()
	out, err := exec.Command("import", "-window", w.id, "-depth", "8", "ppm:-").Output()
	if err != nil {
		w.t.Fatalf("import -window %s: %v", w.id, err)
	}
	img, err := DecodePPM(out)
	if err != nil {
		w.t.Fatalf("screenshot: %v", err)
	}
	return img
}

// WaitFor screenshots the window until ok accepts a screenshot, and returns it. At the deadline it
// saves the last screenshot and fails the test with what the process said.
func (w *Window) WaitFor(what string, ok func(*image.RGBA) bool) *image.RGBA {
	w.t.Helper()
	deadline := time.Now().Add(Wait)
	for {
		img := w.Capture()
		if ok(img) {
			return img
		}
		if time.Now().After(deadline) {
			w.Save(img, "failed-"+strings.ReplaceAll(what, " ", "-")+".png")
			w.t.Fatalf("the window never showed %s (last screenshot saved in %s); trialsync said:\n%s",
				what, w.shots, w.out.String())
		}
		select {
		case <-w.exited:
			w.t.Fatalf("trialsync exited (%v) while waiting for %s:\n%s", w.err, what, w.out.String())
		case <-time.After(150 * time.Millisecond):
		}
	}
}

// Settled screenshots the window until two screenshots in a row are the same (the screen's data has
// loaded and been drawn), starting from img.
func (w *Window) Settled(img *image.RGBA) *image.RGBA {
	w.t.Helper()
	last := img
	return w.WaitFor("a settled screen", func(next *image.RGBA) bool {
		prev := last
		last = next
		return SamePixels(prev, next)
	})
}

// Save writes img as a PNG named name for people to look at, with the encoder that costs least
// under -race.
func (w *Window) Save(img image.Image, name string) {
	w.t.Helper()
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&b, img); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.shots, name), b.Bytes(), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// Stop sends SIGTERM, as a desktop session does at logout, and expects a clean exit.
func (w *Window) Stop() {
	w.t.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		w.t.Fatal(err)
	}
	select {
	case <-w.exited:
		if w.err != nil {
			w.t.Errorf("trialsync exited with %v after SIGTERM:\n%s", w.err, w.out.String())
		}
	case <-time.After(Wait):
		_ = w.cmd.Process.Kill()
		<-w.exited
		w.t.Fatalf("trialsync did not exit after SIGTERM:\n%s", w.out.String())
	}
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
