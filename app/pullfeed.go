package app

import "context"

// pullFeed keeps the Rave pull's state current on every screen that shows it: it reads the
// backend's snapshot off the Fyne goroutine each time the backend announces a change (and when a
// screen asks), and hands it to each subscriber on the Fyne goroutine.
type pullFeed struct {
	u    *UI
	subs []func(PullStatus)
}

// subscribe adds show, called on the Fyne goroutine with every new state. Screens subscribe while
// they are built, before start.
func (p *pullFeed) subscribe(show func(PullStatus)) { p.subs = append(p.subs, show) }

// start follows the backend's changes until the window's context ends.
func (p *pullFeed) start() { p.u.bridge.watch(p.u.backend.PullChanged(), p.load) }

// reload reads the state once more, for a screen being shown.
func (p *pullFeed) reload() { p.u.bridge.background(p.load) }

func (p *pullFeed) load(context.Context) func() {
	st := p.u.backend.PullStatus()
	return func() {
		for _, show := range p.subs {
			show(st)
		}
	}
}
