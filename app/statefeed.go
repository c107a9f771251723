package app

import "context"

// stateFeed keeps the agent's snapshot current on every screen that shows it: it reads the snapshot
// off the Fyne goroutine each time the backend announces a change (and when a screen asks), and hands
// it to each subscriber on the Fyne goroutine.
type stateFeed struct {
	u    *UI
	subs []func(snapshot)
}

// subscribe adds show, called on the Fyne goroutine with every new snapshot. Screens subscribe while
// they are built, before start.
func (f *stateFeed) subscribe(show func(snapshot)) { f.subs = append(f.subs, show) }

// start follows the backend's changes until the window's context ends.
func (f *stateFeed) start() {
	changed, end := f.u.backend.Subscribe()
	context.AfterFunc(f.u.bridge.ctx, end)
	f.u.bridge.watch(changed, f.load)
}

// reload reads the snapshot once more, for a screen being shown.
func (f *stateFeed) reload() { f.u.bridge.background(f.load) }

func (f *stateFeed) load(context.Context) func() {
	s := snapshot{f.u.backend.Snapshot()}
	return func() {
		for _, show := range f.subs {
			show(s)
		}
	}
}
