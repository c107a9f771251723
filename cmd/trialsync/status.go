package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trialsync/trialsync/sync/agent"
)

// newStatusCommand is the headless face of the dashboard (`make run` without a display).
func newStatusCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the store, audit trail, configuration and credentials at a glance",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return runStatus(cmd.Context(), a, g.output(), g.storePath, g.configPath)
			})
		},
	}
}

// runStatus prints the store, the audit checkpoint, the configuration and the credential names.
func runStatus(ctx context.Context, a *agent.Agent, out output, storePath, configPath string) error {
	st, err := a.Status(ctx)
	if err != nil {
		// Say what can be said without the store (a fresh machine may have no keyring yet).
		cfg := "ok"
		if _, cerr := a.Config(); cerr != nil {
			cfg = cerr.Error()
		}
		out.printf("trialsync %s\nstore:       %s (not opened)\nconfig:      %s: %s\n", version, storePath, configPath, cfg)
		return err
	}
	cfg := "ok"
	if st.ConfigError != "" {
		cfg = st.ConfigError
	}
	creds := strings.Join(st.Credentials, ", ")
	if creds == "" {
		creds = "none (trialsync creds set NAME)"
	}
	out.printf("trialsync %s\nstore:       %s (schema %d, install %s)\naudit:       %d entries, tip %.12s\nconfig:      %s: %s\ncredentials: %s\n",
		version, st.StorePath, st.Schema, st.InstallID, st.AuditCount, st.AuditTip, st.ConfigPath, cfg, creds)
	return nil
}
