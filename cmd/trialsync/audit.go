package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/agent"
)

func newAuditCommand(g *globals) *cobra.Command {
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Walk the audit chain: exit 0 when intact, 3 naming the first bad entry",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return runAuditVerify(cmd.Context(), a, g.output())
			})
		},
	}

	var eo auditExportOptions
	export := &cobra.Command{
		Use:   "export --out FILE",
		Short: "Write the entries and the keyed checkpoint as JSON Lines",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if eo.out == "" {
				return usagef("audit export needs --out FILE")
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return runAuditExport(cmd.Context(), a, g.output(), eo)
			})
		},
	}
	eo.addFlags(export.Flags())

	var lo auditListOptions
	list := &cobra.Command{
		Use:   "list [--since T] [--format jsonl]",
		Short: "Browse audit entries",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lo.since != "" {
				var err error
				if lo.from, err = parseSince(lo.since); err != nil {
					return usagef("--since %q: want RFC 3339 time, date YYYY-MM-DD or a duration like 24h", lo.since)
				}
			}
			if err := checkListFormat(lo.format); err != nil {
				return err
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return runAuditList(cmd.Context(), a, g.output(), lo)
			})
		},
	}
	lo.addFlags(list.Flags())

	return group("audit", "Verify, export and browse the audit trail", verify, export, list)
}

// runAuditVerify walks the chain with a progress report: "ok: N entries, tip H", or the first
// problem as a verification failure (exit 3).
func runAuditVerify(ctx context.Context, a *agent.Agent, out output) error {
	p := newProgress(out.text, "verifying")
	rep, err := a.VerifyAudit(ctx, p.update)
	p.done()
	if err != nil {
		return err
	}
	if !rep.OK() {
		return verifyError{rep.Problem}
	}
	out.printf("ok: %d entries, tip %s\n", rep.Entries, rep.TipHex())
	return nil
}

// auditExportOptions are the flags of `audit export`.
type auditExportOptions struct {
	out string
}

func (o *auditExportOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.out, "out", "", "output file (JSON Lines)")
}

// runAuditExport exports through the agent, which writes a temporary file and renames it into place
// so a failed export never leaves a file that looks complete. A read-only store's export stands,
// unrecorded.
func runAuditExport(ctx context.Context, a *agent.Agent, out output, o auditExportOptions) error {
	_, n, err := a.ExportAuditFile(ctx, o.out)
	if err != nil && !errors.Is(err, store.ErrReadOnly) {
		return err
	}
	out.printf("exported %d entries and the checkpoint to %s\n", n, o.out)
	if err != nil {
		out.printf("the store is read-only, so this export is not recorded in its audit trail\n")
	}
	return nil
}

// auditListOptions are the flags of `audit list`.
type auditListOptions struct {
	since, format string
	from          time.Time // since, parsed
}

func (o *auditListOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.since, "since", "", "only entries at or after T (RFC 3339, YYYY-MM-DD, or a duration ago like 24h)")
	fs.StringVar(&o.format, "format", "", "jsonl for machine output on stdout")
}

// runAuditList writes the entries from o.from on: JSON Lines on the data stream, or a table for people.
func runAuditList(ctx context.Context, a *agent.Agent, out output, o auditListOptions) error {
	if o.format == "jsonl" {
		enc := json.NewEncoder(out.data)
		return a.WalkAudit(ctx, o.from, func(e store.Entry) error { return enc.Encode(agent.NewAuditRecord(e)) })
	}
	tw := out.table("SEQ\tTIME (UTC)\tACTOR\tACTION\tOBJECT\tREASON")
	err := a.WalkAudit(ctx, o.from, func(e store.Entry) error {
		if e.Damage != "" {
			_, err := fmt.Fprintf(tw, "%d\t\t\t(damaged)\t\t%s\n", e.Seq, e.Damage)
			return err
		}
		_, err := fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.Time.Format("2006-01-02 15:04:05"), e.Actor, e.Action, e.Object, e.Reason)
		return err
	})
	if ferr := tw.Flush(); err == nil {
		err = ferr
	}
	return err
}

func parseSince(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return time.Time{}, err
	}
	return time.Now().Add(-d), nil
}
