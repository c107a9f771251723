package main

import (
	"bufio"
	"context"
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
				return runCredsSet(cmd.Context(), a, g.output(), args[0], secret)
			})
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the names of stored credentials",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return runCredsList(a, g.output())
			})
		},
	}
	del := &cobra.Command{
		Use:   "delete NAME",
		Short: "Remove a credential from the OS keyring",
		Args:  exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return runCredsDelete(cmd.Context(), a, g.output(), args[0])
			})
		},
	}
	return group("creds", "Manage secrets in the OS keyring", set, list, del)
}

// runCredsSet stores the secret under name (audited by fingerprint).
func runCredsSet(ctx context.Context, a *agent.Agent, out output, name, secret string) error {
	if err := a.SetCredential(ctx, name, secret); err != nil {
		return err
	}
	out.printf("credential %s set\n", name)
	return nil
}

// runCredsList prints the names of the stored credentials, never their values.
func runCredsList(a *agent.Agent, out output) error {
	names, err := a.Credentials()
	for _, n := range names {
		fmt.Fprintln(out.text, n)
	}
	return err
}

// runCredsDelete removes the credential name (audited).
func runCredsDelete(ctx context.Context, a *agent.Agent, out output, name string) error {
	if err := a.DeleteCredential(ctx, name); err != nil {
		return err
	}
	out.printf("credential %s deleted\n", name)
	return nil
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
