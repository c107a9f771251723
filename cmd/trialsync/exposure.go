package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/trialsync/trialsync/sync/agent"
	"github.com/trialsync/trialsync/sync/exposure"
)

// newExposureCommand is the `exposure` group: dose records (exposure log lines) for Rave.
func newExposureCommand(g *globals) *cobra.Command {
	var o exposureImportOptions
	imp := &cobra.Command{
		Use:   "import FILE",
		Short: "Queue dose records from a CSV (with a header row) or JSON Lines file for Rave",
		Long: `Queue dose records from a CSV file with a header row, or a JSON Lines file, for Rave.

Fields: subject, site, drug, start_date (YYYY-MM-DD), start_time (HH:MM or empty), tablets_prescribed,
tablets_taken, mode, with_food. Each valid record becomes the desired state of its log line (subject,
drug, start date); importing a record again is an edit of that line, and only the changed fields go
to Rave. Rejected records are printed as FILE:LINE: reason; the valid ones are queued all the same.
"trialsync send" delivers the queue.`,
		Args: exactArgs(1, "FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.file = args[0]
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return runExposureImport(cmd.Context(), a, g.output(), o)
			})
		},
	}
	return group("exposure", "Dose records (exposure log lines) for Rave", imp)
}

// exposureImportOptions are the argument of `exposure import`.
type exposureImportOptions struct {
	file string
}

// runExposureImport queues the file's valid records, printing each rejected one as it is read and the
// counts at the end; any rejection makes it exit 1, after the valid records were queued.
func runExposureImport(ctx context.Context, a *agent.Agent, out output, o exposureImportOptions) error {
	res, err := a.ImportExposures(ctx, o.file, func(e exposure.Entry) { out.printf("%s\n", e.Rejection(o.file)) })
	if err != nil && res == (agent.ImportResult{}) {
		return err
	}
	out.printf("imported %d, rejected %d\n", res.Imported, res.Rejected)
	switch {
	case err != nil:
		return err
	case res.Rejected > 0:
		return silentError{exitFailed}
	}
	return nil
}
