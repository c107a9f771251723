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
				cfg, err := a.Config()
				if err != nil {
					return err
				}
				g.printf("ok: %s\n", cfg.Path)
				return nil
			})
		},
	}
	return group("config", "Check the configuration", check)
}
