package main

import (
	"github.com/spf13/cobra"

	"github.com/trialsync/trialsync/sync/agent"
)

func newConfigCommand(g *globals) *cobra.Command {
	check := &cobra.Command{
		Use:   "check",
		Short: "Load and validate the configuration file: exit 0, or 1 with FILE:LINE: reason",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return runConfigCheck(a, g.output())
			})
		},
	}
	return group("config", "Check the configuration", check)
}

// runConfigCheck loads the configuration and says it is fine, or returns its first problem.
func runConfigCheck(a *agent.Agent, out output) error {
	cfg, err := a.Config()
	if err != nil {
		return err
	}
	out.printf("ok: %s\n", cfg.Path)
	return nil
}
