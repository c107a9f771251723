package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trialsync/trialsync/sync/agent"
	"github.com/trialsync/trialsync/sync/outbox"
)

func newQueueCommand(g *globals) *cobra.Command {
	var lo queueListOptions
	list := &cobra.Command{
		Use:   "list [--state S] [--kind K] [--format jsonl]",
		Short: "List outbound messages and their states",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkListFormat(lo.format); err != nil {
				return err
			}
			if lo.stateFlag != "" {
				st, err := outbox.ParseState(lo.stateFlag)
				if err != nil {
					return usageError{err}
				}
				lo.state = st
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return runQueueList(cmd.Context(), a, g.output(), lo)
			})
		},
	}
	lo.addFlags(list.Flags())

	retry := &cobra.Command{
		Use:   "retry ID",
		Short: "Re-queue a dead message for a new set of attempts",
		Args:  exactArgs(1, "ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := messageID(args[0])
			if err != nil {
				return err
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return runQueueRetry(cmd.Context(), a, g.output(), id)
			})
		},
	}

	var do queueDiscardOptions
	discard := &cobra.Command{
		Use:   "discard ID --reason R",
		Short: "End a message without sending it (recorded in the audit trail with the reason)",
		Args:  exactArgs(1, "ID --reason R"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if do.id, err = messageID(args[0]); err != nil {
				return err
			}
			if strings.TrimSpace(do.reason) == "" {
				return usagef("queue discard needs --reason R")
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return runQueueDiscard(cmd.Context(), a, g.output(), do)
			})
		},
	}
	do.addFlags(discard.Flags())
	return group("queue", "Outbound messages: list, retry, discard", list, retry, discard)
}

func messageID(arg string) (uint64, error) {
	id, err := strconv.ParseUint(arg, 10, 64)
	if err != nil || id == 0 {
		return 0, usagef("message ID %q is not a number (trialsync queue list shows them)", arg)
	}
	return id, nil
}

// queueListOptions are the flags of `queue list`.
type queueListOptions struct {
	stateFlag, kind, format string
	state                   outbox.State
}

func (o *queueListOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.stateFlag, "state", "", "only messages in this state: pending, sending, held, done or dead")
	fs.StringVar(&o.kind, "kind", "", "only messages of this kind: exposure, subject or checklist")
	fs.StringVar(&o.format, "format", "", "jsonl for machine output on stdout")
}

// queueRow is one message of `queue list --format jsonl`, fields exactly as the contract lists them.
type queueRow struct {
	ID         uint64 `json:"id"`
	Kind       string `json:"kind"`
	Key        string `json:"key"`
	State      string `json:"state"`
	Attempts   int    `json:"attempts"`
	Urgent     bool   `json:"urgent"`
	ReasonCode string `json:"reason_code"`
	Message    string `json:"message"`
	Updated    string `json:"updated"`
}

// queueRowOf is the contract's line for one message.
func queueRowOf(l outbox.Listed) queueRow {
	return queueRow{ID: l.ID, Kind: l.Kind, Key: l.Key, State: string(l.State), Attempts: l.Attempts, Urgent: l.Urgent,
		ReasonCode: l.ReasonCode, Message: queueWords(l), Updated: l.Updated.UTC().Format(time.RFC3339)}
}

// queueWords is what a person should read about a message: why it failed or ended, what holds it back, or
// a remark on its delivery.
func queueWords(l outbox.Listed) string {
	switch {
	case l.Discarded:
		return fmt.Sprintf("discarded by %s: %s", l.DiscardedBy, l.DiscardReason)
	case l.BlockedBy != 0:
		return fmt.Sprintf("waiting behind dead message %d of the same key", l.BlockedBy)
	case l.State == outbox.Done:
		return l.Note
	}
	return l.Error
}

// runQueueList writes the messages: JSON Lines on the data stream, or a table for people.
func runQueueList(ctx context.Context, a *agent.Agent, out output, o queueListOptions) error {
	f := outbox.Filter{State: o.state}
	if o.kind != "" {
		f.Kinds = []string{o.kind}
	}
	ls, err := a.Messages(ctx, f)
	if err != nil {
		return err
	}
	if o.format == "jsonl" {
		return writeJSONL(out.data, ls, queueRowOf)
	}
	tw := out.table("ID\tKIND\tSTATE\tATTEMPTS\tKEY\tUPDATED (UTC)\tMESSAGE")
	for _, l := range ls {
		state := string(l.State)
		if l.Urgent && l.State == outbox.Dead && !l.Discarded {
			state = "DEAD, URGENT"
		}
		msg := queueWords(l)
		if l.ReasonCode != "" && l.State != outbox.Done {
			msg = l.ReasonCode + ": " + msg
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%s\n", l.ID, l.Kind, state, l.Attempts, l.Key, l.Updated.UTC().Format("2006-01-02 15:04:05"), msg)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, l := range ls {
		if l.State == outbox.Dead && !l.Discarded && l.Advice != "" {
			out.printf("message %d: %s\n", l.ID, l.Advice)
		}
	}
	return nil
}

// runQueueRetry re-queues a dead message.
func runQueueRetry(ctx context.Context, a *agent.Agent, out output, id uint64) error {
	if _, err := a.RetryMessage(ctx, id); err != nil {
		return err
	}
	out.printf("message %d queued again; trialsync send delivers it\n", id)
	return nil
}

// queueDiscardOptions are the argument and flags of `queue discard`.
type queueDiscardOptions struct {
	id     uint64
	reason string
}

func (o *queueDiscardOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.reason, "reason", "", "why it is ended unsent (recorded in the audit trail)")
}

// runQueueDiscard ends a message unsent, with the reason (audited).
func runQueueDiscard(ctx context.Context, a *agent.Agent, out output, o queueDiscardOptions) error {
	if _, err := a.DiscardMessage(ctx, o.id, o.reason); err != nil {
		return err
	}
	out.printf("message %d discarded\n", o.id)
	return nil
}
