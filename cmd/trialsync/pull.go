package main

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trialsync/trialsync/sync/agent"
	"github.com/trialsync/trialsync/sync/ravepull"
)

// pullOptions are the flags of `pull`.
type pullOptions struct {
	study, site, feed string
	once              bool
}

func (o *pullOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.study, "study", "", "only this study OID")
	fs.StringVar(&o.site, "site", "", "only this site")
	fs.StringVar(&o.feed, "feed", "", "only this feed: audit or dataset (default both)")
	fs.BoolVar(&o.once, "once", false, "pull once and exit (default: keep polling)")
}

func newPullCommand(g *globals) *cobra.Command {
	var o pullOptions
	cmd := &cobra.Command{
		Use:   "pull [--study S] [--site X] [--feed audit|dataset] [--once]",
		Short: "Pull clinical data and audit records from Rave into the store",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFeedFlag(o.feed); err != nil {
				return err
			}
			if !o.once {
				g.consoleLogs = true
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return runPull(cmd.Context(), a, g.output(), o)
			})
		},
	}
	o.addFlags(cmd.Flags())
	cmd.AddCommand(newPullResetCommand(g))
	return cmd
}

func checkFeedFlag(feed string) error {
	if feed != "" && feed != agent.FeedAudit && feed != agent.FeedDataset {
		return usagef("--feed %q: want audit or dataset (or leave it out for both)", feed)
	}
	return nil
}

// runPull pulls once (--once), or polls the configured studies (or the one asked for) until
// interrupted.
func runPull(ctx context.Context, a *agent.Agent, out output, o pullOptions) error {
	if !o.once {
		return runService(ctx, a, out, pullService, agent.Scope{Study: o.study, Site: o.site, Feed: o.feed})
	}
	began := time.Now()
	results, err := a.Pull(ctx, agent.PullOptions{Study: o.study, Site: o.site, Feed: o.feed, Progress: pullProgress(out)})
	secs := time.Since(began).Seconds()
	for _, r := range results {
		if r.Err == nil {
			out.printf("%s: %d pages, %d rows read, %d written, %d quarantined in %.1f s (%.0f rows/s)\n",
				r.Study, r.Pages, r.Rows, r.Written, r.Quarantined, secs, float64(r.Rows)/secs)
		}
	}
	return err
}

// stopLine is why a service stopped and what starts it again, on one line.
func stopLine(st agent.ServiceState) string {
	if st.Hint == "" {
		return st.Err
	}
	return strings.TrimSuffix(st.Err, ".") + ". " + st.Hint
}

// pullProgress prints one line per committed page or batch, at most every two seconds (always the last).
func pullProgress(out output) func(ravepull.Progress) {
	var last time.Time
	return func(p ravepull.Progress) {
		if !p.Done && time.Since(last) < 2*time.Second {
			return
		}
		last = time.Now()
		out.printf("%s %s: %d pages, %d rows\n", p.Study, p.Feed, p.Pages, p.Rows)
	}
}
