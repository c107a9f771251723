package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trialsync/trialsync/sync/config"
)

// demoOptions are the flags of `demo`.
type demoOptions struct {
	headless    bool
	seed        string        // study description; the built-in copy of testdata/seed/study.toml when empty
	dir         string        // where the demo's store, configuration and logs go; a temporary directory when empty
	keep        bool          // leave dir in place at the end
	verifyEvery time.Duration // [audit] verify_every of the demo's configuration
	poll        time.Duration // [rave] poll of the demo's configuration
	timeout     time.Duration // --headless: give up after this long
}

func (o *demoOptions) addFlags(f *pflag.FlagSet) {
	f.BoolVar(&o.headless, "headless", false, "run the demo's flows to completion in the terminal and print a summary (no window)")
	f.StringVar(&o.seed, "seed", "", "study description (TOML) the simulators serve (default: the built-in demo study)")
	f.StringVar(&o.dir, "dir", "", "directory for the demo's store, configuration and logs (default: a new temporary one, removed at the end)")
	f.BoolVar(&o.keep, "keep", false, "keep the demo's directory at the end")
	f.DurationVar(&o.verifyEvery, "verify-every", 10*time.Minute, "how often the demo verifies its audit trail in the background")
	f.DurationVar(&o.poll, "poll", time.Minute, "how often the demo pulls from the simulated Rave")
	f.DurationVar(&o.timeout, "timeout", 10*time.Minute, "--headless: give up when the flows have not completed after this long")
}

func newDemoCommand(g *globals) *cobra.Command {
	o := &demoOptions{}
	c := &cobra.Command{
		Use:   "demo [--headless]",
		Short: "Try trialsync on a simulated multi-site study: simulators on this computer, a temporary store",
		Long: `Start simulators of Rave (and, as this build has them, SureAdhere, the EDC and the CTMS) on this
computer only, seeded with a three-site study of about 300 subjects, and run trialsync against them
with a temporary store and configuration: the window when there is a display, or with --headless
the same flows to completion in the terminal, ending with a summary.

Nothing is sent anywhere else. The demo's credentials go into the OS keyring under the service
"trialsync-demo" (removed at the end); when no keyring service is running, into an in-memory
keyring that lasts as long as the demo, which the demo says. Outside the demo trialsync never
keeps a secret anywhere but the OS keyring.

To point trialsync at real systems instead, write a configuration file (see README.md) and run
trialsync with --config.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.verifyEvery < config.MinVerifyEvery {
				return usagef("--verify-every must be at least %s", config.MinVerifyEvery)
			}
			if o.poll < config.MinPoll {
				return usagef("--poll must be at least %s", config.MinPoll)
			}
			if !o.headless && !haveDisplay() {
				return usagef("no display to open the demo's window on: run trialsync demo --headless")
			}
			return runDemo(cmd.Context(), g, o)
		},
	}
	o.addFlags(c.Flags())
	return c
}

// runDemo prepares the demo (simulators, keyring, store, configuration, credentials), then shows the
// window or runs the headless flows, and tears everything down.
func runDemo(ctx context.Context, g *globals, o *demoOptions) error {
	out := g.output()
	d, err := startDemo(ctx, g, o, out)
	if d != nil {
		defer d.close(out)
	}
	if err != nil {
		return err
	}
	if o.headless {
		return d.runHeadless(ctx, out, o.timeout)
	}
	return d.runWindow(ctx)
}

// demoDir is the demo's working directory: o.dir, or a new temporary one (removed at the end unless
// --keep).
func demoDir(o *demoOptions) (dir string, remove bool, err error) {
	if o.dir != "" {
		return o.dir, false, os.MkdirAll(o.dir, 0o700)
	}
	dir, err = os.MkdirTemp("", "trialsync-demo-")
	if err != nil {
		return "", false, fmt.Errorf("demo: a temporary directory: %w", err)
	}
	return dir, !o.keep, nil
}
