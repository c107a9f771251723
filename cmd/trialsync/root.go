package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/trialsync/trialsync/sync/logging"
)

// Every command has one shape (bbolt's cmd/bbolt): an xOptions struct with its flags (addFlags) and
// arguments; newXCommand builds the cobra command, turns bad flags into usage errors (exit 2) and calls
// runX, a plain function of the context, the agent (for commands that need one), an output and the
// options, which does the work and writes the result. Tests drive the whole CLI through run.

// output is where a command writes: data is machine output (stdout: jsonl, rows, csv), text is for
// people (stderr: results, tables, progress), as the command-line contract separates them.
type output struct {
	data, text io.Writer
}

func (o output) printf(format string, args ...any) { fmt.Fprintf(o.text, format, args...) }

// globals holds the global flags and the process's streams; every subcommand receives it.
type globals struct {
	storePath  string
	configPath string
	logLevel   string

	stdin  io.Reader
	stdout io.Writer // machine output (jsonl, rows)
	stderr io.Writer // human output, progress, errors

	// consoleLogs sends log lines to stderr too: on for long-running commands and whenever
	// --log-level is given; one-shot commands keep stderr for their own output.
	consoleLogs bool
	// redact hides every secret the run has seen; set once an agent exists, applied to error text.
	redact func(string) string
}

func newRootCommand(g *globals) *cobra.Command {
	stdin, stderr := g.stdin, g.stderr
	root := &cobra.Command{
		Use:           "trialsync",
		Short:         "Site integration agent: Rave pull, SureAdhere exchange, checklist reconciliation, audit trail",
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGUI(cmd.Context(), g)
		},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := logging.ParseLevel(g.logLevel); err != nil {
				return usageError{err}
			}
			if cmd.Flags().Changed("log-level") {
				g.consoleLogs = true
			}
			return nil
		},
	}
	root.SetIn(stdin)
	root.SetOut(stderr)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.CompletionOptions.DisableDefaultCmd = true

	f := root.PersistentFlags()
	f.StringVar(&g.storePath, "store", defaultPath("TRIALSYNC_STORE", "trialsync.db"), "store file")
	f.StringVar(&g.configPath, "config", defaultPath("TRIALSYNC_CONFIG", "config.toml"), "configuration file (TOML)")
	f.StringVar(&g.logLevel, "log-level", "info", "log level: debug|info|warn|error")

	for _, c := range []*cobra.Command{
		newVersionCommand(g),
		newStatusCommand(g),
		newCredsCommand(g),
		newAuditCommand(g),
		newExportCommand(g),
		newQuarantineCommand(g),
		newOdmCommand(g),
		newSimCommand(g),
		newConfigCommand(g),
		newPullCommand(g),
		newDemoCommand(g),
		newExposureCommand(g),
		newSendCommand(g),
		newQueueCommand(g),
		newSubjectsCommand(g),
		newReconcileCommand(g), newConflictsCommand(g),
	} {
		root.AddCommand(c)
	}
	return root
}

// defaultPath is $env when set, else <user config dir>/trialsync/name.
func defaultPath(env, name string) string {
	if v := os.Getenv(env); v != "" {
		return v
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = "."
	}
	return filepath.Join(dir, "trialsync", name)
}

// noArgs rejects positional arguments as a usage error (exit 2).
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		if cmd.HasSubCommands() {
			return usagef("unknown command %q for %q (see --help)", args[0], cmd.CommandPath())
		}
		return usagef("%s takes no arguments", cmd.CommandPath())
	}
	return nil
}

// exactArgs requires n positional arguments, naming them in the usage error.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("usage: %s %s", cmd.CommandPath(), names)
		}
		return nil
	}
}

// group is a command that only holds subcommands; run bare, it is a usage error.
func group(use, short string, children ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("%s needs a subcommand (see %s --help)", cmd.CommandPath(), cmd.CommandPath())
		},
	}
	c.AddCommand(children...)
	return c
}

// output is the process's output streams.
func (g *globals) output() output { return output{data: g.stdout, text: g.stderr} }

// checkListFormat accepts the --format of a listing: jsonl (machine output on stdout) or text.
func checkListFormat(format string) error {
	if format != "" && format != "jsonl" && format != "text" {
		return usagef("--format %q: want jsonl or text", format)
	}
	return nil
}
