package main

import (
	"context"
	"errors"
	"os"
	"runtime"
	"runtime/debug"

	fyneapp "fyne.io/fyne/v2/app"

	"github.com/trialsync/trialsync/app"
	"github.com/trialsync/trialsync/assets"
	"github.com/trialsync/trialsync/sync/agent"
)

// appID is the application's unique ID (FyneApp.toml's ID), under which Fyne keeps its preferences.
const appID = "org.trialsync.agent"

// The agent is the GUI's backend as it is: the window reads its snapshot and calls its commands.
var _ app.Backend = (*agent.Agent)(nil)

// runGUI opens the coordinator's window on the agent and returns when it is closed or ctx ends.
// While the window is open the agent's services run behind it; they stop, and the store closes, only
// after the window has gone. A configuration that lets nothing run does not keep the window shut: the
// window says what is missing.
func runGUI(ctx context.Context, g *globals) error {
	if !haveDisplay() {
		return errors.New("no display to open the GUI on (DISPLAY and WAYLAND_DISPLAY are unset); " +
			"every feature is also a command, see trialsync --help")
	}
	tuneForWindow()
	return g.withAgent(ctx, func(a *agent.Agent) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel() // ends background calls; withAgent's Close stops the services after the window
		if err := a.Start(ctx, agent.StartOptions{}); err != nil {
			a.Log().Warn().Err(err).Msg("services not started; the window says why")
		}
		fa := fyneapp.NewWithID(appID)
		fa.SetIcon(assets.Icon())
		watch := startFrameWatch(os.Getenv("TRIALSYNC_FRAME_LOG"))
		app.New(ctx, fa, a, app.Options{}).ShowAndRun()
		return watch.finish()
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

// The window's runtime settings. The memory limit that keeps a headless pull within 128 MiB makes the
// garbage collector run almost without pause during a large pull, and the window's own goroutine
// then waits for it: with 512 MiB the pull of a 2 GiB dataset through the window took half the time
// and the window answered faster (README, make bench-gui). Go schedules its goroutines on GOMAXPROCS
// threads first come first served, so with as many threads as cores the window's goroutine queues
// behind the pull's; with more threads than cores the operating system shares the cores among them
// and a window waking for an event runs at once.
const (
	windowMemoryLimit = 512 << 20
	windowMinProcs    = 4
)

// tuneForWindow applies the window's runtime settings, unless GOMEMLIMIT or GOMAXPROCS say otherwise.
func tuneForWindow() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(windowMemoryLimit)
	}
	if os.Getenv("GOMAXPROCS") == "" && runtime.GOMAXPROCS(0) < windowMinProcs {
		runtime.GOMAXPROCS(windowMinProcs)
	}
}
