package main

import (
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
				opts := agent.PullOptions{Study: study, Site: site, Feed: feed, Progress: pullProgress(g)}
				for {
					began := time.Now()
					results, err := a.Pull(cmd.Context(), opts)
					secs := time.Since(began).Seconds()
					for _, r := range results {
						if r.Err == nil {
							g.printf("%s: %d pages, %d rows read, %d written, %d quarantined in %.1f s (%.0f rows/s)\n",
								r.Study, r.Pages, r.Rows, r.Written, r.Quarantined, secs, float64(r.Rows)/secs)
						}
					}
					if once {
						return err
					}
					cfg, cerr := a.Config()
					if cerr != nil {
						return cerr
					}
					select {
					case <-cmd.Context().Done():
						return nil
					case <-time.After(cfg.Rave.Poll):
					}
				}
			})
		},
	}
	cmd.Flags().StringVar(&study, "study", "", "only this study OID")
	cmd.Flags().StringVar(&site, "site", "", "only this site")
	cmd.Flags().StringVar(&feed, "feed", "", "only this feed: audit or dataset (default both)")
	cmd.Flags().BoolVar(&once, "once", false, "pull once and exit (default: keep polling)")
	return cmd
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
