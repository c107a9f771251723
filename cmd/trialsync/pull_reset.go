package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trialsync/trialsync/sync/agent"
)

// pullResetOptions are the flags of `pull reset`.
type pullResetOptions struct {
	study, site, feed, reason string
}

func (o *pullResetOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.study, "study", "", "the study OID whose position to forget (required)")
	fs.StringVar(&o.site, "site", "", "the position of `pull --site X` rather than of the whole study")
	fs.StringVar(&o.feed, "feed", "", "only this feed: audit or dataset (default both)")
	fs.StringVar(&o.reason, "reason", "", "why (recorded in the audit trail; required)")
}

func newPullResetCommand(g *globals) *cobra.Command {
	var o pullResetOptions
	cmd := &cobra.Command{
		Use:   "reset --study S [--site X] [--feed audit|dataset] --reason R",
		Short: "Forget a study's pull position, so that its next pull reads Rave's feed from the beginning",
		Long: `Forget where a study's pull stands, so that its next pull reads the feed from the beginning:
the audit records from their first page, the dataset in full. What is stored stays, and reading it
again changes nothing (rows are stored by natural key). Use it when Rave has moved to a new address, or
a pull keeps failing on a link it stored. The reset is recorded in the audit trail with the reason.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case o.study == "":
				return usagef("pull reset needs --study S")
			case strings.TrimSpace(o.reason) == "":
				return usagef("pull reset needs --reason R")
			}
			if err := checkFeedFlag(o.feed); err != nil {
				return err
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return runPullReset(cmd.Context(), a, g.output(), o)
			})
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}

// runPullReset forgets the position and says, feed by feed, what it did.
func runPullReset(ctx context.Context, a *agent.Agent, out output, o pullResetOptions) error {
	res, err := a.ResetCursor(ctx, agent.CursorReset{Study: o.study, Site: o.site, Feed: o.feed, Reason: o.reason})
	for _, f := range res {
		if f.Reset {
			out.printf("%s %s: reset (was %s); the next pull reads it from the beginning\n", o.study, f.Feed, f.Old)
		} else {
			out.printf("%s %s: not pulled yet, nothing to reset\n", o.study, f.Feed)
		}
	}
	return err
}
