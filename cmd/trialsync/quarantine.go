package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/agent"
)

func newQuarantineCommand(g *globals) *cobra.Command {
	var lo quarantineListOptions
	list := &cobra.Command{
		Use:   "list [--format jsonl] [--all]",
		Short: "List quarantined fragments awaiting review",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkListFormat(lo.format); err != nil {
				return err
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return runQuarantineList(cmd.Context(), a, g.output(), lo)
			})
		},
	}
	lo.addFlags(list.Flags())

	var ro quarantineResolveOptions
	resolve := &cobra.Command{
		Use:   "resolve ID --reason R",
		Short: "Mark a quarantined fragment reviewed",
		Args:  exactArgs(1, "ID --reason R"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if ro.id, err = strconv.ParseUint(args[0], 10, 64); err != nil {
				return usagef("quarantine ID %q is not a number", args[0])
			}
			if strings.TrimSpace(ro.reason) == "" {
				return usagef("quarantine resolve needs --reason R")
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return runQuarantineResolve(cmd.Context(), a, g.output(), ro)
			})
		},
	}
	ro.addFlags(resolve.Flags())
	return group("quarantine", "Review fragments that could not be stored", list, resolve)
}

// quarantineListOptions are the flags of `quarantine list`.
type quarantineListOptions struct {
	format string
	all    bool
}

func (o *quarantineListOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.format, "format", "", "jsonl for machine output on stdout")
	fs.BoolVar(&o.all, "all", false, "include resolved fragments")
}

// runQuarantineList writes the fragments: JSON Lines on the data stream, or a table for people.
func runQuarantineList(ctx context.Context, a *agent.Agent, out output, o quarantineListOptions) error {
	qs, err := a.Quarantine(ctx, o.all)
	if err != nil {
		return err
	}
	if o.format == "jsonl" {
		return writeJSONL(out.data, qs, func(q store.Quarantined) store.Quarantined { return q })
	}
	tw := out.table("ID\tTIME (UTC)\tSOURCE\tREASON\tFRAGMENT")
	for _, q := range qs {
		frag := strings.Join(strings.Fields(q.Fragment), " ")
		if len(frag) > 60 {
			frag = frag[:60] + "…"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", q.ID, q.Time.Format("2006-01-02 15:04:05"), q.Source, q.Reason, frag)
	}
	return tw.Flush()
}

// quarantineResolveOptions are the argument and flags of `quarantine resolve`.
type quarantineResolveOptions struct {
	id     uint64
	reason string
}

func (o *quarantineResolveOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.reason, "reason", "", "why it is resolved (recorded in the audit trail)")
}

// runQuarantineResolve marks the fragment reviewed with the reason (audited).
func runQuarantineResolve(ctx context.Context, a *agent.Agent, out output, o quarantineResolveOptions) error {
	if err := a.ResolveQuarantine(ctx, o.id, o.reason); err != nil {
		return err
	}
	out.printf("quarantine %d resolved\n", o.id)
	return nil
}
