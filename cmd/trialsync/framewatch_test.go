package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// TestFrameWatch: the watch samples how late the UI goroutine runs work, counts a stall, and writes
// its figures when it finishes; without a path it does nothing.
func TestFrameWatch(t *testing.T) {
	test.NewTempApp(t)
	if w := startFrameWatch(""); w != nil || w.finish() != nil {
		t.Fatal("a watch without a file")
	}
	path := filepath.Join(t.TempDir(), "frames.json")
	var calls atomic.Int64
	// The UI goroutine as a frozen window would leave it: the tenth piece of work runs 150 ms late.
	w := newFrameWatch(path, func(f func()) {
		go func() {
			if calls.Add(1) == 10 {
				time.Sleep(150 * time.Millisecond)
			}
			fyne.Do(f)
		}()
	})
	for calls.Load() < 30 {
		time.Sleep(10 * time.Millisecond)
	}
	if err := w.finish(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f frameFigures
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	// Lower bounds only: the stall is at least 150 ms by construction; a loaded machine may add others.
	if f.Samples < 25 || f.Over100ms < 1 || f.Over50ms < f.Over100ms || f.MaxMs < 150 || f.P50ms > f.P99ms || f.P99ms > f.MaxMs {
		t.Errorf("figures %+v, want a stall of at least 150 ms counted", f)
	}
}
