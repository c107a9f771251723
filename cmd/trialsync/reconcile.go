package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trialsync/trialsync/sync/agent"
)

// reconcileOptions are the flags of `reconcile`.
type reconcileOptions struct {
	study string
	once  bool
}

func (o *reconcileOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.study, "study", "", "the study_id to reconcile (default: [checklist] study_id)")
	fs.BoolVar(&o.once, "once", false, "reconcile once, deliver the writes, and exit (default: keep reconciling)")
}

func newReconcileCommand(g *globals) *cobra.Command {
	var o reconcileOptions
	cmd := &cobra.Command{
		Use:   "reconcile [--study S] [--once]",
		Short: "Reconcile the site-activation checklists of the EDC and the CTMS",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !o.once {
				g.consoleLogs = true
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return runReconcile(cmd.Context(), a, g.output(), o)
			})
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}

// runReconcile reconciles once and delivers the writes (--once), or runs the reconciliation service
// until interrupted. The one-shot run ends with the summary line of the command-line contract.
func runReconcile(ctx context.Context, a *agent.Agent, out output, o reconcileOptions) error {
	if !o.once {
		return runService(ctx, a, out, reconcileService, agent.Scope{Study: o.study})
	}
	res, err := a.Reconcile(ctx, o.study)
	if res.Counts.Items == 0 && err != nil {
		return err // nothing could be read: no summary to give
	}
	d := res.Delivery
	out.printf("sent %d, dead %d, held %d\n", d.Sent, d.Dead, d.Held)
	if len(d.Offline) > 0 && errors.Is(err, d.Offline[0].Err) {
		out.printf("%d writes wait for a system that cannot be reached and go at the next run: %s\n", d.Held, err)
		err = nil
	}
	if res.Counts.Conflict > 0 {
		out.printf("%d conflicts wait for a person: trialsync conflicts list\n", res.Counts.Conflict)
	}
	out.printf("%s\n", res.Counts)
	return err
}
