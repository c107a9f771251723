package main

import (
	"context"
	"os"
	"strings"
	"time"

	fyneapp "fyne.io/fyne/v2/app"

	"github.com/trialsync/trialsync/app"
	"github.com/trialsync/trialsync/assets"
	"github.com/trialsync/trialsync/sync/agent"
	"github.com/trialsync/trialsync/sync/sureadhere"
)

// runWindow runs the agent's services against the simulators behind the coordinator's window, with a
// notice saying that this is the demo and where its secrets are, until the window is closed.
func (d *demo) runWindow(ctx context.Context) error {
	tuneForWindow()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := d.agent.Start(ctx, agent.StartOptions{}); err != nil {
		d.agent.Log().Warn().Err(err).Msg("services not started; the window says why")
	}
	go d.feedDoses(ctx)
	go d.correctArmOncePushed(ctx)
	fa := fyneapp.NewWithID(appID)
	fa.SetIcon(assets.Icon())
	watch := startFrameWatch(os.Getenv("TRIALSYNC_FRAME_LOG"))
	app.New(ctx, fa, d.agent, app.Options{Title: "trialsync", Notice: d.notice()}).ShowAndRun()
	return watch.finish()
}

// feedDoses queues the month of doses once the Rave pull has first completed (the arms come from it),
// as SureAdhere's reports would arrive, and asks the send service to deliver them.
func (d *demo) feedDoses(ctx context.Context) {
	changed, end := d.agent.Subscribe()
	defer end()
	for !d.pulledOnce() {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
	}
	path, n, err := d.queueDoses(ctx)
	if path != "" {
		_ = os.Remove(path)
	}
	if err != nil {
		d.agent.Log().Error().Err(err).Msg("demo: the doses could not be queued")
		return
	}
	d.agent.Log().Info().Int("records", n).Msg("demo: a month of doses queued")
	d.agent.Kick(agent.EngineSend)
}

// correctArmOncePushed plays the seed's arm change in the window: once the subject has been pushed to
// SureAdhere, Rave corrects its arm; the next pull brings the correction and the subject push flags it
// for a person on the Subjects screen.
func (d *demo) correctArmOncePushed(ctx context.Context) {
	ac := d.study.Trouble.ArmChange
	if ac == nil || d.rave() == nil {
		return
	}
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		rows, err := d.agent.Subjects(ctx)
		if err != nil {
			continue
		}
		pushed := false
		for _, r := range rows {
			pushed = pushed || (r.ID == ac.Subject && r.Status() == sureadhere.StatusPushed)
		}
		if !pushed {
			continue
		}
		if err := d.correctArm(ctx, ac.Subject, ac.To); err != nil {
			d.agent.Log().Error().Err(err).Msg("demo: the arm correction could not be posted to the simulated Rave")
			return
		}
		d.agent.Log().Info().Str("subject", ac.Subject).Str("arm", ac.To).Msg("demo: Rave corrected an arm after its push")
		d.agent.Kick(agent.EngineRavePull)
		return
	}
}

// pulledOnce reports whether every study's pull has completed a run without error.
func (d *demo) pulledOnce() bool {
	studies := d.agent.Snapshot().ServicesOf(agent.EngineRavePull)
	for _, st := range studies {
		if st.Runs == 0 || st.Running || st.Err != "" {
			return false
		}
	}
	return len(studies) > 0
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
