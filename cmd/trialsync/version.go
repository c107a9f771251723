package main

import (
	"github.com/spf13/cobra"

	"github.com/trialsync/trialsync/store"
)

func newVersionCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print version, commit and store schema version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVersion(g.output())
		},
	}
}

// runVersion prints the build's version and commit, and the store schema it writes.
func runVersion(out output) error {
	out.printf("trialsync %s (commit %s, store schema %d)\n", version, commit, store.SchemaVersion)
	return nil
}
