package app

import (
	"context"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/data/binding"
)

// bridge is the one place where work leaves the Fyne goroutine and its results come back to it
// (the shape of rymdport's internal/transport/bridge). Screens start slow calls with background and
// update widgets only in the function it hands back; fyne.Do appears nowhere else.
type bridge struct {
	ctx  context.Context
	jobs sync.WaitGroup // background work and its pending update
	// updating keeps updates one at a time. The real driver runs them all on its one goroutine
	// anyway; fyne's test driver runs each on the goroutine that asked, so without the lock two
	// updates could lay out the same window at once there.
	updating sync.Mutex
}

func newBridge(ctx context.Context) *bridge { return &bridge{ctx: ctx} }

// background runs work on its own goroutine with the window's context, then runs the update it
// returns (if any) on the Fyne goroutine. work must not touch widgets; the update may.
func (b *bridge) background(work func(ctx context.Context) (update func())) {
	b.jobs.Add(1)
	go b.run(work)
}

// latest is background for a load that a later one supersedes: it counts the calls in *loads and
// runs work's update only if no later call with the same counter started meanwhile, so that a slow
// answer never overwrites a newer one. Call it, and keep *loads, on the Fyne goroutine.
func (b *bridge) latest(loads *int, work func(ctx context.Context) (update func())) {
	*loads++
	gen := *loads
	b.background(func(ctx context.Context) func() {
		update := work(ctx)
		if update == nil {
			return nil
		}
		return func() {
			if gen == *loads {
				update()
			}
		}
	})
}

// watch runs work (and then its update, on the Fyne goroutine) once now and again after every
// signal, one at a time and in order, until the bridge's context ends: the way a screen follows a
// backend that announces its changes. work must not touch widgets; the update may.
func (b *bridge) watch(signal <-chan struct{}, work func(ctx context.Context) (update func())) {
	b.jobs.Add(1) // the first load, counted before New returns so that wait covers it
	go func() {
		b.run(work)
		for {
			select {
			case <-b.ctx.Done():
				return
			case <-signal:
				b.jobs.Add(1)
				b.run(work)
			}
		}
	}()
}

// run does one counted job: work here, its update on the Fyne goroutine.
func (b *bridge) run(work func(ctx context.Context) (update func())) {
	update := work(b.ctx)
	if update == nil {
		b.jobs.Done()
		return
	}
	fyne.Do(func() {
		defer b.jobs.Done()
		b.updating.Lock()
		defer b.updating.Unlock()
		update()
	})
}

// progress returns a callback for a backend's progress reports, safe to call from any goroutine as
// often as the backend likes: it moves f (0..1) at most once per thousandth, so a walk over a million
// entries costs the GUI a thousand redraws, not a million.
func (b *bridge) progress(f binding.Float) func(done, total uint64) {
	var mu sync.Mutex
	last := -1
	return func(done, total uint64) {
		if total == 0 {
			return
		}
		step := int(done * 1000 / total)
		mu.Lock()
		changed := step != last
		last = step
		mu.Unlock()
		if changed {
			_ = f.Set(float64(step) / 1000) // a binding hands its listeners to the Fyne goroutine itself
		}
	}
}

// quitWhenDone quits a when the bridge's context ends (Ctrl+C, SIGTERM) before stopped is closed.
func (b *bridge) quitWhenDone(a fyne.App, stopped <-chan struct{}) {
	go func() {
		select {
		case <-b.ctx.Done():
			fyne.Do(a.Quit)
		case <-stopped:
		}
	}()
}

// wait blocks until every background job and its update have finished (tests use it).
func (b *bridge) wait() { b.jobs.Wait() }
