package main

import (
	"context"
	"errors"
	"os"
	"runtime"

	fyneapp "fyne.io/fyne/v2/app"

	"github.com/trialsync/trialsync/app"
	"github.com/trialsync/trialsync/assets"
	"github.com/trialsync/trialsync/sync/agent"
)

// appID is the application's unique ID (FyneApp.toml's ID), under which Fyne keeps its preferences.
const appID = "org.trialsync.agent"

// runGUI opens the coordinator's window on the agent and returns when it is closed or ctx ends.
func runGUI(ctx context.Context, g *globals) error {
	if !haveDisplay() {
		return errors.New("no display to open the GUI on (DISPLAY and WAYLAND_DISPLAY are unset); " +
			"every feature is also a command, see trialsync --help")
	}
	return g.withAgent(ctx, func(a *agent.Agent) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel() // stops background calls still running when the window closes
		fa := fyneapp.NewWithID(appID)
		fa.SetIcon(assets.Icon())
		app.New(ctx, fa, guiBackend{a}, app.Options{}).ShowAndRun()
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

// guiBackend adapts the agent to app.Backend; only Status needs converting.
type guiBackend struct{ *agent.Agent }

func (b guiBackend) Status(ctx context.Context) (app.Status, error) {
	st, err := b.Agent.Status(ctx)
	return app.Status(st), err
}
