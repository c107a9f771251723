package logging

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/rs/zerolog"
	"golang.org/x/term"
)

// Defaults for Options left zero.
const (
	DefaultMaxSize    = 10 << 20 // bytes per log file before rotation
	DefaultMaxBackups = 3        // rotated files kept beside the current one
)

// ConsoleTimeFormat is how the console writer prints times.
const ConsoleTimeFormat = "15:04:05"

// Options configure New. The zero value logs at info level to the default directory, with no console.
type Options struct {
	// Dir is the log directory; empty means DefaultDir().
	Dir string
	// Console receives human-readable lines (usually os.Stderr); nil means no console output. Colour is
	// used only when Console is a terminal (and NO_COLOR is unset).
	Console io.Writer
	// Level is debug, info, warn or error (see ParseLevel); empty means info. It applies to the file and
	// the console alike.
	Level string
	// RunID is put on every line; empty means NewRunID().
	RunID string
	// Redactor filters all output; nil means a new one, reachable with Logger.Redactor. Share one Redactor
	// between the logger and the store so every secret the store touches is redacted here.
	Redactor *Redactor
	// MaxSize is the size in bytes at which the log file is rotated; 0 means DefaultMaxSize.
	MaxSize int64
	// MaxBackups is how many rotated files are kept; 0 means DefaultMaxBackups, negative means none.
	MaxBackups int
}

// Logger is the run's logger: a zerolog.Logger (embedded, so lg.Info().Msg works) whose every line
// carries run_id and passes through the Redactor, plus the file it writes to. Close it on exit.
type Logger struct {
	zerolog.Logger

	runID    string
	path     string
	redactor *Redactor
	file     *fileWriter
}

// DefaultDir returns <user cache dir>/trialsync/logs.
func DefaultDir() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("log directory: %w", err)
	}
	return filepath.Join(cache, "trialsync", "logs"), nil
}

// New opens (creating if needed) the log file and returns a Logger writing JSON lines to it and, when
// opts.Console is set, readable lines to the console. Both outputs pass through the Redactor below
// zerolog, so no field, message or error string can carry a registered secret out.
func New(opts Options) (*Logger, error) {
	level, err := ParseLevel(opts.Level)
	if err != nil {
		return nil, err
	}
	dir := opts.Dir
	if dir == "" {
		if dir, err = DefaultDir(); err != nil {
			return nil, err
		}
	}
	maxSize, backups := opts.MaxSize, opts.MaxBackups
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	switch {
	case backups == 0:
		backups = DefaultMaxBackups
	case backups < 0:
		backups = 0
	}
	red := opts.Redactor
	if red == nil {
		red = NewRedactor()
	}
	runID := opts.RunID
	if runID == "" {
		runID = NewRunID()
	}
	file, err := openFile(dir, maxSize, backups)
	if err != nil {
		return nil, err
	}

	outputs := []io.Writer{file}
	if opts.Console != nil {
		outputs = append(outputs, zerolog.ConsoleWriter{
			// The console writer re-decodes each JSON line; redact its output too, so that an escape it
			// undoes cannot bring a secret back.
			Out:        red.Writer(opts.Console),
			NoColor:    !isTerminal(opts.Console),
			TimeFormat: ConsoleTimeFormat,
		})
	}
	sink := red.Writer(zerolog.SyncWriter(zerolog.MultiLevelWriter(outputs...)))
	zl := zerolog.New(sink).Level(level).With().Timestamp().Str(RunIDField, runID).Logger()
	return &Logger{Logger: zl, runID: runID, path: file.path, redactor: red, file: file}, nil
}

// RunID returns the run ID on every line.
func (l *Logger) RunID() string { return l.runID }

// Path returns the log file's path.
func (l *Logger) Path() string { return l.path }

// Redactor returns the Redactor all output passes through.
func (l *Logger) Redactor() *Redactor { return l.redactor }

// Close closes the log file. Lines logged afterwards are lost (zerolog reports the write error on
// stderr).
func (l *Logger) Close() error { return l.file.Close() }

// isTerminal reports whether w is a terminal, the only place colour codes belong.
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}
