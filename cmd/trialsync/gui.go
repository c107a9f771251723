package main

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
	"sync"

	fyneapp "fyne.io/fyne/v2/app"

	"github.com/trialsync/trialsync/app"
	"github.com/trialsync/trialsync/assets"
	"github.com/trialsync/trialsync/sync/agent"
	"github.com/trialsync/trialsync/sync/config"
)

// appID is the application's unique ID (FyneApp.toml's ID), under which Fyne keeps its preferences.
const appID = "org.trialsync.agent"

// runGUI opens the coordinator's window on the agent and returns when it is closed or ctx ends.
// While the window is open the agent's services run behind it (the Rave pull when [rave] is
// configured); they stop, and the store closes, only after the window has gone.
func runGUI(ctx context.Context, g *globals) error {
	if !haveDisplay() {
		return errors.New("no display to open the GUI on (DISPLAY and WAYLAND_DISPLAY are unset); " +
			"every feature is also a command, see trialsync --help")
	}
	return g.withAgent(ctx, func(a *agent.Agent) error {
		ctx, cancel := context.WithCancel(ctx)
		pulls := startPulls(ctx, a, g.configPath)
		defer func() {
			cancel() // stops background calls and the services still running when the window closes
			<-pulls.done
		}()
		fa := fyneapp.NewWithID(appID)
		fa.SetIcon(assets.Icon())
		app.New(ctx, fa, guiBackend{Agent: a, pulls: pulls}, app.Options{}).ShowAndRun()
		return nil
	})
}

// haveDisplay reports whether a window can be opened: on Linux and the BSDs that takes an X11 or
// Wayland display; macOS and Windows always have one.
func haveDisplay() bool {
	switch runtime.GOOS {
	case "darwin", "windows", "android", "ios":
		return true
	}
	return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}

// guiBackend adapts the agent to app.Backend: it converts Status and the pull states, and reports
// on the service tree that runGUI started.
type guiBackend struct {
	*agent.Agent
	pulls *pullRunner
}

func (b guiBackend) Status(ctx context.Context) (app.Status, error) {
	st, err := b.Agent.Status(ctx)
	return app.Status(st), err
}

// PullStatus is the pull's configuration, its problem if it could not run, and each study's state.
func (b guiBackend) PullStatus() app.PullStatus {
	p := b.pulls
	st := app.PullStatus{Configured: p.configured, ConfigPath: p.configPath, Problem: p.problemText()}
	for _, s := range b.Agent.PullStates() {
		st.Studies = append(st.Studies, app.PullState{
			Study: s.Study, Running: s.Running, Runs: s.Runs,
			LastStart: s.LastStart, LastEnd: s.LastEnd, NextRun: s.NextRun,
			Pages: s.Last.Pages, Rows: s.Last.Rows, Written: s.Last.Written, Quarantined: s.Last.Quarantined,
			Err: s.Err,
		})
	}
	return st
}

// PullChanged signals the agent's state changes and the service tree's failure to start.
func (b guiBackend) PullChanged() <-chan struct{} { return b.pulls.changed }

// pullRunner runs the agent's service tree for the window's lifetime and remembers why it is not
// running, so that the Rave pull screen can say so instead of the window failing to open.
type pullRunner struct {
	configured bool
	configPath string
	changed    chan struct{} // 1-buffered, like the agent's
	done       chan struct{} // closed once the tree has stopped (at once when it never started)

	mu      sync.Mutex
	problem string
}

// startPulls starts a.Run in the background when the configuration has a [rave] section. A missing
// file or section is not a problem (the screen explains how to configure one); a bad file, a
// missing credential or a store that cannot be opened is.
func startPulls(ctx context.Context, a *agent.Agent, configPath string) *pullRunner {
	p := &pullRunner{configPath: configPath, changed: make(chan struct{}, 1), done: make(chan struct{})}
	cfg, err := a.Config()
	switch {
	case errors.Is(err, config.ErrNotFound):
		close(p.done)
		return p
	case err != nil:
		p.problem = a.Redact(err.Error())
		close(p.done)
		return p
	case cfg.Rave == nil:
		close(p.done)
		return p
	}
	p.configured = true
	go func() { // the agent's announcements, passed on; ends with the window
		for {
			select {
			case <-ctx.Done():
				return
			case <-a.Changed():
				p.notify()
			}
		}
	}()
	go func() {
		defer close(p.done)
		err := a.Run(ctx)
		if err != nil && ctx.Err() == nil {
			a.Log().Error().Err(err).Msg("the Rave pull could not start")
			p.mu.Lock()
			p.problem = a.Redact(strings.Join(strings.Fields(err.Error()), " "))
			p.mu.Unlock()
			p.notify()
		}
	}()
	return p
}

func (p *pullRunner) problemText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.problem
}

func (p *pullRunner) notify() {
	select {
	case p.changed <- struct{}{}:
	default: // a signal is already pending
	}
}
