package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

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
				p := newProgress(g.stderr, "verifying")
				rep, err := a.VerifyAudit(cmd.Context(), p.update)
				p.done()
				if err != nil {
					return err
				}
				if !rep.OK() {
					return verifyError{rep.Problem}
				}
				g.printf("ok: %d entries, tip %s\n", rep.Entries, rep.TipHex())
				return nil
			})
		},
	}

	var out string
	export := &cobra.Command{
		Use:   "export --out FILE",
		Short: "Write the entries and the keyed checkpoint as JSON Lines",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usagef("audit export needs --out FILE")
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return exportAudit(g, a, cmd, out)
			})
		},
	}
	export.Flags().StringVar(&out, "out", "", "output file (JSON Lines)")

	var since, format string
	list := &cobra.Command{
		Use:   "list [--since T] [--format jsonl]",
		Short: "Browse audit entries",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var t time.Time
			if since != "" {
				var err error
				if t, err = parseSince(since); err != nil {
					return usagef("--since %q: want RFC 3339 time, date YYYY-MM-DD or a duration like 24h", since)
				}
			}
			if format != "" && format != "jsonl" && format != "text" {
				return usagef("--format %q: want jsonl or text", format)
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				if format == "jsonl" {
					enc := json.NewEncoder(g.stdout)
					return a.WalkAudit(cmd.Context(), t, func(e store.Entry) error { return enc.Encode(agent.NewAuditRecord(e)) })
				}
				tw := tabwriter.NewWriter(g.stderr, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "SEQ\tTIME (UTC)\tACTOR\tACTION\tOBJECT\tREASON")
				err := a.WalkAudit(cmd.Context(), t, func(e store.Entry) error {
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
			})
		},
	}
	list.Flags().StringVar(&since, "since", "", "only entries at or after T (RFC 3339, YYYY-MM-DD, or a duration ago like 24h)")
	list.Flags().StringVar(&format, "format", "", "jsonl for machine output on stdout")

	return group("audit", "Verify, export and browse the audit trail", verify, export, list)
}

// exportAudit writes to a temporary file and renames it into place, so a failed export never leaves a
// file that looks complete.
func exportAudit(g *globals, a *agent.Agent, cmd *cobra.Command, out string) error {
	tmp, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".partial-*")
	if err != nil {
		return fmt.Errorf("audit export: %w", err)
	}
	defer os.Remove(tmp.Name())
	cp, n, err := a.ExportAudit(cmd.Context(), tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), out)
	}
	if err != nil {
		return fmt.Errorf("audit export to %s: %w", out, err)
	}
	err = a.RecordExport(cmd.Context(), cp, out)
	if err != nil && !errors.Is(err, store.ErrReadOnly) {
		return err
	}
	g.printf("exported %d entries and the checkpoint to %s\n", n, out)
	if err != nil {
		g.printf("the store is read-only, so this export is not recorded in its audit trail\n")
	}
	return nil
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
