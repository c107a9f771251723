// Command trialsync is the site coordinator's integration agent: Rave pull, SureAdhere exchange and
// EDC <-> CTMS checklist reconciliation, with a verifiable audit trail. Run with no command for the GUI;
// every capability is also a subcommand for headless use (see CONTRACT.md in the project's shared notes
// and README.md).
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	_ "github.com/trialsync/trialsync/cmd/trialsync/internal/quietlog" // before Fyne's init: see its doc
)

// Set by the linker (see Makefile).
var (
	version = "dev"
	commit  = "none"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code; it is main without os.Exit so that
// tests can drive the whole CLI in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRootCommand(g)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && g.redact != nil {
		err = redactedError{err, g.redact(err.Error())}
	}
	return exitCode(err, stderr)
}
