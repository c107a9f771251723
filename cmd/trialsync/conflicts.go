package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trialsync/trialsync/sync/agent"
	"github.com/trialsync/trialsync/sync/checklist"
)

func newConflictsCommand(g *globals) *cobra.Command {
	var lo conflictsListOptions
	list := &cobra.Command{
		Use:   "list [--format jsonl] [--all]",
		Short: "List the checklist conflicts waiting for a person",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkListFormat(lo.format); err != nil {
				return err
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return runConflictsList(cmd.Context(), a, g.output(), lo)
			})
		},
	}
	lo.addFlags(list.Flags())

	var ro conflictsResolveOptions
	resolve := &cobra.Command{
		Use:   "resolve ID --take edc|ctms --reason R",
		Short: "Settle a checklist conflict with one system's values",
		Args:  exactArgs(1, "ID --take edc|ctms --reason R"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ro.id = args[0]
			if ro.take != string(agent.ChecklistEDC) && ro.take != string(agent.ChecklistCTMS) {
				return usagef("conflicts resolve needs --take edc or --take ctms")
			}
			if strings.TrimSpace(ro.reason) == "" {
				return usagef("conflicts resolve needs --reason R")
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return runConflictsResolve(cmd.Context(), a, g.output(), ro)
			})
		},
	}
	ro.addFlags(resolve.Flags())
	return group("conflicts", "Adjudicate checklist conflicts between the EDC and the CTMS", list, resolve)
}

// conflictsListOptions are the flags of `conflicts list`.
type conflictsListOptions struct {
	format string
	all    bool
}

func (o *conflictsListOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.format, "format", "", "jsonl for machine output on stdout")
	fs.BoolVar(&o.all, "all", false, "include settled conflicts")
}

// conflictLine is one conflict of `conflicts list --format jsonl` (CONTRACT.md): values canonical.
type conflictLine struct {
	ID       string              `json:"id"`
	Site     string              `json:"site"`
	Code     string              `json:"code"`
	Fields   []string            `json:"fields"`
	EDC      *checklist.Item     `json:"edc"`
	CTMS     *checklist.Item     `json:"ctms"`
	Baseline *checklist.Baseline `json:"baseline"`
	Opened   time.Time           `json:"opened"`
	// Closed and Resolution are there for a settled conflict (--all).
	Closed     *time.Time            `json:"closed,omitempty"`
	Resolution *checklist.Resolution `json:"resolution,omitempty"`
}

// conflictLineOf is the contract's line for one conflict.
func conflictLineOf(c agent.ChecklistConflict) conflictLine {
	l := conflictLine{ID: c.ID, Site: c.Key.Site, Code: c.Key.Code, EDC: c.EDC, CTMS: c.CTMS, Baseline: c.Baseline,
		Opened: c.Opened, Resolution: c.Resolution, Fields: []string{}}
	for _, f := range c.Fields {
		l.Fields = append(l.Fields, f.Field.String())
	}
	if !c.IsOpen() {
		l.Closed = &c.Closed
	}
	return l
}

// runConflictsList writes the conflicts, oldest first: JSON Lines on the data stream, or a table for
// people with each field's values side by side and each conflict's age.
func runConflictsList(ctx context.Context, a *agent.Agent, out output, o conflictsListOptions) error {
	cs, err := a.ChecklistConflicts(ctx, o.all)
	if err != nil {
		return err
	}
	if o.format == "jsonl" {
		return writeJSONL(out.data, cs, conflictLineOf)
	}
	if len(cs) == 0 {
		out.printf("no open conflicts\n")
		return nil
	}
	now := time.Now()
	tw := out.table("ID\tITEM\tFIELD\tEDC\tCTMS\tAGREED\tAGE")
	for _, c := range cs {
		age := checklist.AgeText(c.Age(now))
		if !c.IsOpen() {
			age = "settled by " + c.Resolution.By
		}
		for i, f := range c.Fields {
			id, item := c.ID, c.Key.String()
			if i > 0 {
				id, item, age = "", "", ""
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", id, item, f.Field, checklist.ValueText(f.EDC), checklist.ValueText(f.CTMS), checklist.ValueText(f.Baseline), age)
		}
	}
	return tw.Flush()
}

// conflictsResolveOptions are the argument and flags of `conflicts resolve`.
type conflictsResolveOptions struct {
	id, take, reason string
}

func (o *conflictsResolveOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.take, "take", "", "the system whose values win: edc or ctms")
	fs.StringVar(&o.reason, "reason", "", "why (recorded in the audit trail)")
}

// runConflictsResolve settles the conflict with one system's values (audited) and queues the writes.
func runConflictsResolve(ctx context.Context, a *agent.Agent, out output, o conflictsResolveOptions) error {
	sys := agent.ChecklistSystem(o.take)
	if err := a.SettleConflictTaking(ctx, o.id, sys, o.reason); err != nil {
		return err
	}
	out.printf("conflict %s settled with the %s's values; trialsync reconcile --once sends the writes\n", o.id, sys.Label())
	return nil
}
