package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/trialsync/trialsync/cmd/trialsync/internal/guitest"
	"github.com/trialsync/trialsync/store/storetest"
	"github.com/trialsync/trialsync/sync/logging"
	"github.com/trialsync/trialsync/sync/sim/seed"
)

// TestGUIDemo runs the real binary's demo under Xvfb as a new user would with `make run`, once in the
// light theme and once in the dark one: every screen is screenshotted in each (TRIALSYNC_SCREENSHOTS
// keeps them), the dashboard reaches the seeded scenario's counts (the agent's figures, which the
// dashboard shows: at least a reference pull's rows and fragments, the wrong drug's urgent dead
// letter, nothing left to send, the seed's checklist conflicts), and in the light run the store is tampered with while
// the window is open: the scheduled verification (every 10 s) raises the red alarm, which then shows
// on every screen. The study is the demo's with a shorter storm and four days of doses
// (shortStormSeed).
func TestGUIDemo(t *testing.T) {
	if os.Getenv("DISPLAY") == "" || os.Getenv("TRIALSYNC_XVFB") != "1" {
		t.Skip("needs an X display: run through make test (.ci/with-session starts Xvfb and sets TRIALSYNC_XVFB=1)")
	}
	needKeyring(t)
	shots := screenshotDir(t)
	bin := buildBinary(t)
	seedPath, _ := shortStormSeed(t)
	rows, quarantined := demoReference(t, seedPath)
	st, err := seed.Load(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	conflicts := len(st.Checklist.Conflicts)
	t.Logf("screenshots in %s; the reference pull reads %d rows and quarantines %d fragments", shots, rows, quarantined)

	for _, theme := range []string{"light", "dark"} {
		t.Run(theme, func(t *testing.T) {
			t.Setenv("FYNE_THEME", theme)
			dir := filepath.Join(t.TempDir(), "demo")
			w := guitest.Start(t, bin, shots, "--log-level", "debug", "demo", "--seed", seedPath, "--dir", dir, "--verify-every", "10s")
			waitFigures(t, dir, w, rows, quarantined, conflicts)

			nav := make([]image.Rectangle, len(screenNames))
			for i, name := range screenNames {
				w.Key(fmt.Sprintf("ctrl+%d", i+1))
				img := w.WaitFor(name, func(img *image.RGBA) bool {
					r, ok := guitest.SelectedNav(img)
					return ok && (i == 0 || r.Min.Y > nav[i-1].Min.Y+r.Dy()/2)
				})
				nav[i], _ = guitest.SelectedNav(img)
				img = w.Settled(img)
				w.Save(img, fmt.Sprintf("demo-%s-%d-%s.png", theme, i+1, name))
				if n := guitest.CountNear(img, bannerRed); n > 0 && i > 0 {
					t.Errorf("%s: %d pixels of the alarm's red before anything was tampered with", name, n)
				}
			}
			if theme != "light" {
				w.Stop()
				return
			}
			// Change an audit entry in the file while the window has it open.
			if n, err := storetest.FlipInPlace(filepath.Join(dir, "trialsync.db"), []byte("rave.password")); err != nil || n == 0 {
				t.Fatalf("tampering: %d copies changed, %v", n, err)
			}
			w.Key("ctrl+1")
			img := w.WaitFor("the red alarm after the scheduled verification", func(img *image.RGBA) bool {
				return guitest.CountNear(img, bannerRed) > 4000
			})
			w.Save(w.Settled(img), "demo-light-alarm-dashboard.png")
			w.Key("ctrl+7")
			img = w.WaitFor("the alarm on the settings screen", func(img *image.RGBA) bool {
				r, ok := guitest.SelectedNav(img)
				return ok && guitest.SameRow(r, nav[6]) && guitest.CountNear(img, bannerRed) > 4000
			})
			w.Save(img, "demo-light-alarm-settings.png")
			w.Stop()
		})
	}
}

// waitFigures waits until the demo's agent logs dashboard figures with the reference's rows today and
// quarantined fragments.
func waitFigures(t *testing.T, dir string, w *guitest.Window, rows, quarantined, conflicts int) {
	t.Helper()
	deadline := time.Now().Add(guitest.Wait)
	var last map[string]any
	for time.Now().Before(deadline) {
		if f := lastFigures(filepath.Join(dir, "logs", logging.FileName)); f != nil {
			last = f
			// The seed's trouble: its malformed subject quarantined, its wrong drug an urgent dead letter,
			// every other dose sent, its conflicts open. The doses sent come back in Rave's audit feed
			// at the next pull: the rows (and, for the malformed subject, fragments) only grow from
			// the reference's.
			if int(num(f["rows_today"])) >= rows && int(num(f["quarantined"])) >= quarantined &&
				num(f["dead"]) == 1 && num(f["urgent"]) == 1 && num(f["queued"]) == 0 && int(num(f["conflicts"])) == conflicts {
				return
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("the dashboard's figures never reached %d rows, %d quarantined, 1 urgent dead letter, %d conflicts; last %v; trialsync said:\n%s",
		rows, quarantined, conflicts, last, w.Output())
}

// lastFigures is the last "dashboard figures" line of the agent's JSON log, nil when none yet.
func lastFigures(path string) map[string]any {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var last map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["message"] == "dashboard figures" {
			last = m
		}
	}
	return last
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}
