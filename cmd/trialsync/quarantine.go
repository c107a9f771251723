package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/trialsync/trialsync/sync/agent"
)

func newQuarantineCommand(g *globals) *cobra.Command {
	var format string
	var all bool
	list := &cobra.Command{
		Use:   "list [--format jsonl] [--all]",
		Short: "List quarantined fragments awaiting review",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "" && format != "jsonl" && format != "text" {
				return usagef("--format %q: want jsonl or text", format)
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				qs, err := a.Quarantine(cmd.Context(), all)
				if err != nil {
					return err
				}
				if format == "jsonl" {
					enc := json.NewEncoder(g.stdout)
					for _, q := range qs {
						if err := enc.Encode(q); err != nil {
							return err
						}
					}
					return nil
				}
				tw := tabwriter.NewWriter(g.stderr, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tTIME (UTC)\tSOURCE\tREASON\tFRAGMENT")
				for _, q := range qs {
					frag := strings.Join(strings.Fields(q.Fragment), " ")
					if len(frag) > 60 {
						frag = frag[:60] + "…"
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", q.ID, q.Time.Format("2006-01-02 15:04:05"), q.Source, q.Reason, frag)
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().StringVar(&format, "format", "", "jsonl for machine output on stdout")
	list.Flags().BoolVar(&all, "all", false, "include resolved fragments")

	var reason string
	resolve := &cobra.Command{
		Use:   "resolve ID --reason R",
		Short: "Mark a quarantined fragment reviewed",
		Args:  exactArgs(1, "ID --reason R"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return usagef("quarantine ID %q is not a number", args[0])
			}
			if strings.TrimSpace(reason) == "" {
				return usagef("quarantine resolve needs --reason R")
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				if err := a.ResolveQuarantine(cmd.Context(), id, reason); err != nil {
					return err
				}
				g.printf("quarantine %d resolved\n", id)
				return nil
			})
		},
	}
	resolve.Flags().StringVar(&reason, "reason", "", "why it is resolved (recorded in the audit trail)")
	return group("quarantine", "Review fragments that could not be stored", list, resolve)
}
