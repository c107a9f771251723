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
	"runtime/debug"
	"syscall"

	_ "github.com/trialsync/trialsync/cmd/trialsync/internal/quietlog" // before Fyne's init: see its doc
)

// Set by the linker (see Makefile).
var (
	version = "dev"
	commit  = "none"
)

// memoryLimit is the soft heap limit when GOMEMLIMIT is not set: an edge box runs trialsync beside
// other work, and streaming pulls of multi-gigabyte exports should stay within a fixed budget (the
// garbage collector works harder instead of letting the heap double).
const memoryLimit = 96 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
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
