package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/trialsync/trialsync/sync/agent"
)

func newCredsCommand(g *globals) *cobra.Command {
	set := &cobra.Command{
		Use:   "set NAME",
		Short: "Store a secret read from stdin (one line) in the OS keyring",
		Args:  exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			secret, err := readSecret(g, args[0])
			if err != nil {
				return err
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				if err := a.SetCredential(cmd.Context(), args[0], secret); err != nil {
					return err
				}
				g.printf("credential %s set\n", args[0])
				return nil
			})
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the names of stored credentials",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				names, err := a.Credentials()
				for _, n := range names {
					fmt.Fprintln(g.stderr, n)
				}
				return err
			})
		},
	}
	del := &cobra.Command{
		Use:   "delete NAME",
		Short: "Remove a credential from the OS keyring",
		Args:  exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				if err := a.DeleteCredential(cmd.Context(), args[0]); err != nil {
					return err
				}
				g.printf("credential %s deleted\n", args[0])
				return nil
			})
		},
	}
	return group("creds", "Manage secrets in the OS keyring", set, list, del)
}

// readSecret reads one line from stdin, without echo when stdin is a terminal; the trailing newline
// is dropped.
func readSecret(g *globals, name string) (string, error) {
	if f, ok := g.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(g.stderr, "secret for %s: ", name)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(g.stderr)
		if err != nil {
			return "", fmt.Errorf("reading secret: %w", err)
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(g.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading secret from stdin: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", fmt.Errorf("credential %s: empty secret (nothing read from stdin)", name)
	}
	return line, nil
}
