package agent

import (
	"github.com/rs/zerolog"

	"github.com/trialsync/trialsync/sync/logging"
)

// newLogger opens the run's log (JSON file plus optional console), with a redactor that the keyring
// feeds every secret it reads or writes.
func newLogger(opts Options, runID string) (zerolog.Logger, func() error, *logging.Redactor, error) {
	red := logging.NewRedactor()
	lg, err := logging.New(logging.Options{Dir: opts.LogDir, Console: opts.Console, Level: opts.LogLevel, RunID: runID, Redactor: red})
	if err != nil {
		return zerolog.Nop(), nil, nil, err
	}
	return lg.Logger, lg.Close, red, nil
}

func newRunID() string { return logging.NewRunID() }
