package main

import (
	"context"
	"os"
	"strings"

	fyneapp "fyne.io/fyne/v2/app"

	"github.com/trialsync/trialsync/app"
	"github.com/trialsync/trialsync/assets"
	"github.com/trialsync/trialsync/sync/agent"
)

// runWindow runs the agent's services against the simulators behind the coordinator's window, with a
// notice saying that this is the demo and where its secrets are, until the window is closed.
func (d *demo) runWindow(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := d.agent.Start(ctx, agent.StartOptions{}); err != nil {
		d.agent.Log().Warn().Err(err).Msg("services not started; the window says why")
	}
	fa := fyneapp.NewWithID(appID)
	fa.SetIcon(assets.Icon())
	watch := startFrameWatch(os.Getenv("TRIALSYNC_FRAME_LOG"))
	app.New(ctx, fa, d.agent, app.Options{Title: "trialsync", Notice: d.notice()}).ShowAndRun()
	return watch.finish()
}

// notice is the window's line about the demo: simulated systems, a temporary store, the keyring.
func (d *demo) notice() string {
	var names []string
	for _, r := range d.remotes {
		names = append(names, r.name)
	}
	return "Demo: simulated " + strings.Join(names, ", ") + " on this computer, a temporary store; " +
		d.keyringShort() + ". Close the window to end it."
}
