package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/trialsync/trialsync/sync/agent"
	"github.com/trialsync/trialsync/sync/ravepull"
)

func newPullCommand(g *globals) *cobra.Command {
	var study, site, feed string
	var once bool
	cmd := &cobra.Command{
		Use:   "pull [--study S] [--site X] [--once]",
		Short: "Pull clinical data and audit records from Rave into the store",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if feed != "" && feed != ravepull.FeedAudit && feed != ravepull.FeedDataset {
				return usagef("--feed %q: want audit or dataset (or leave it out for both)", feed)
			}
			if !once {
				g.consoleLogs = true
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				if !once {
					if study != "" || site != "" || feed != "" {
						return usagef("--study, --site and --feed need --once; the polling pull runs every configured study")
					}
					return runPolling(cmd.Context(), g, a)
				}
				began := time.Now()
				results, err := a.Pull(cmd.Context(), agent.PullOptions{Study: study, Site: site, Feed: feed, Progress: pullProgress(g)})
				secs := time.Since(began).Seconds()
				for _, r := range results {
					if r.Err == nil {
						g.printf("%s: %d pages, %d rows read, %d written, %d quarantined in %.1f s (%.0f rows/s)\n",
							r.Study, r.Pages, r.Rows, r.Written, r.Quarantined, secs, float64(r.Rows)/secs)
					}
				}
				return err
			})
		},
	}
	cmd.Flags().StringVar(&study, "study", "", "only this study OID")
	cmd.Flags().StringVar(&site, "site", "", "only this site")
	cmd.Flags().StringVar(&feed, "feed", "", "only this feed: audit or dataset (default both)")
	cmd.Flags().BoolVar(&once, "once", false, "pull once and exit (default: keep polling)")
	return cmd
}

// runPolling runs the agent's service tree (a pull service per study, polling at [rave] poll) until
// interrupted, printing each completed run. Configuration, credential and store problems end it at
// once with their error; a failed pull is printed and retried with backoff.
func runPolling(ctx context.Context, g *globals, a *agent.Agent) error {
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	runs := map[string]int{}
	for {
		select {
		case err := <-done:
			return err
		case <-a.Changed():
			for _, st := range a.PullStates() {
				if st.Runs == runs[st.Study] {
					continue
				}
				runs[st.Study] = st.Runs
				if st.Err != "" {
					g.printf("%s: pull failed, retrying at %s: %s\n", st.Study, st.NextRun.Format("15:04:05"), st.Err)
					continue
				}
				g.printf("%s: %d pages, %d rows read, %d written, %d quarantined; next pull at %s\n",
					st.Study, st.Last.Pages, st.Last.Rows, st.Last.Written, st.Last.Quarantined, st.NextRun.Format("15:04:05"))
			}
		}
	}
}

// pullProgress prints one line per committed page or batch, at most every two seconds (always the last).
func pullProgress(g *globals) func(ravepull.Progress) {
	var last time.Time
	return func(p ravepull.Progress) {
		if !p.Done && time.Since(last) < 2*time.Second {
			return
		}
		last = time.Now()
		g.printf("%s %s: %d pages, %d rows\n", p.Study, p.Feed, p.Pages, p.Rows)
	}
}
