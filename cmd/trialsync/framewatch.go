package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"fyne.io/fyne/v2"
)

// frameWatch measures how responsive the window is: every interval it hands the Fyne goroutine a
// function that notes how late it ran. The GUI draws frames and runs such functions on the same
// goroutine, one after the other, so a function runs late exactly when a frame (or an update) held
// the goroutine: the delays are what a coordinator would feel as a frozen window. Set
// TRIALSYNC_FRAME_LOG to a file to have the GUI measure while it runs and write the figures there
// when it ends (make bench-gui).
type frameWatch struct {
	path     string
	interval time.Duration
	do       func(func()) // fyne.Do; tests hand in one that stalls
	stop     chan struct{}
	done     chan struct{}

	mu     sync.Mutex
	delays []time.Duration
	start  time.Time
}

// startFrameWatch starts measuring when path is not empty; the result's finish writes the figures.
func startFrameWatch(path string) *frameWatch {
	if path == "" {
		return nil
	}
	return newFrameWatch(path, fyne.Do)
}

func newFrameWatch(path string, do func(func())) *frameWatch {
	w := &frameWatch{path: path, interval: 10 * time.Millisecond, do: do, stop: make(chan struct{}), done: make(chan struct{}), start: time.Now()}
	go w.run()
	return w
}

func (w *frameWatch) run() {
	defer close(w.done)
	t := time.NewTicker(w.interval)
	defer t.Stop()
	ran := make(chan struct{}, 1)
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		asked := time.Now()
		w.do(func() {
			late := time.Since(asked)
			w.mu.Lock()
			w.delays = append(w.delays, late)
			w.mu.Unlock()
			ran <- struct{}{}
		})
		select { // one at a time: a backlog would count one stall many times
		case <-ran:
		case <-w.stop:
			return
		}
	}
}

// frameFigures are what the watch writes.
type frameFigures struct {
	Seconds   float64 `json:"seconds"`
	Samples   int     `json:"samples"`
	P50ms     float64 `json:"p50_ms"`
	P95ms     float64 `json:"p95_ms"`
	P99ms     float64 `json:"p99_ms"`
	MaxMs     float64 `json:"max_ms"`
	Over50ms  int     `json:"over_50ms"`
	Over100ms int     `json:"over_100ms"`
}

// finish stops measuring and writes the figures (nil-safe).
func (w *frameWatch) finish() error {
	if w == nil {
		return nil
	}
	close(w.stop)
	<-w.done
	w.mu.Lock()
	d := slices.Clone(w.delays)
	w.mu.Unlock()
	slices.Sort(d)
	f := frameFigures{Seconds: time.Since(w.start).Seconds(), Samples: len(d)}
	ms := func(x time.Duration) float64 { return float64(x.Microseconds()) / 1000 }
	if n := len(d); n > 0 {
		f.P50ms, f.P95ms, f.P99ms, f.MaxMs = ms(d[n/2]), ms(d[n*95/100]), ms(d[n*99/100]), ms(d[n-1])
		for _, x := range d {
			if x > 50*time.Millisecond {
				f.Over50ms++
			}
			if x > 100*time.Millisecond {
				f.Over100ms++
			}
		}
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(w.path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("frame figures: %w", err)
	}
	return nil
}
