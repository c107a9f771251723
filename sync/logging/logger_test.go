package logging

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// jsonLines parses every line of the log file.
func jsonLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %d is not JSON: %v: %s", len(lines)+1, err, sc.Text())
		}
		lines = append(lines, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

func TestRunAndCorrelationIDs(t *testing.T) {
	var console bytes.Buffer
	lg, err := New(Options{Dir: t.TempDir(), Console: &console, Level: "info"})
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()

	ctx := lg.WithContext(t.Context())
	lg.Info().Msg("run started")
	From(ctx).Info().Msg("no correlation")
	pull := WithCorrelation(ctx, "pull-101")
	From(pull).Info().Str("site", "101").Msg("page")
	From(pull).Error().Err(errors.New("timeout")).Msg("page failed")
	push := WithCorrelation(pull, "push-7") // replaces, does not add
	From(push).Warn().Msg("held")
	zerolog.Ctx(push).Info().Msg("through zerolog.Ctx")

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			c := WithCorrelation(ctx, "worker-"+string(rune('a'+i)))
			for range 50 {
				From(c).Info().Msg("tick")
			}
		})
	}
	wg.Wait()

	if got := CorrelationID(push); got != "push-7" {
		t.Errorf("CorrelationID = %q, want push-7", got)
	}
	if got := CorrelationID(ctx); got != "" {
		t.Errorf("CorrelationID of a context without one = %q", got)
	}

	wantCorrelation := []string{"", "", "pull-101", "pull-101", "push-7", "push-7"}
	lines := jsonLines(t, lg.Path())
	if len(lines) != len(wantCorrelation)+8*50 {
		t.Fatalf("got %d lines, want %d", len(lines), len(wantCorrelation)+8*50)
	}
	for i, line := range lines {
		if line[RunIDField] != lg.RunID() {
			t.Errorf("line %d run_id = %v, want %s", i+1, line[RunIDField], lg.RunID())
		}
		corr, has := line[CorrelationIDField]
		switch {
		case i < len(wantCorrelation) && wantCorrelation[i] == "" && has:
			t.Errorf("line %d has correlation_id %v, want none", i+1, corr)
		case i < len(wantCorrelation) && wantCorrelation[i] != "" && corr != wantCorrelation[i]:
			t.Errorf("line %d correlation_id = %v, want %s", i+1, corr, wantCorrelation[i])
		case i >= len(wantCorrelation) && !strings.HasPrefix(corr.(string), "worker-"):
			t.Errorf("line %d correlation_id = %v, want worker-*", i+1, corr)
		}
	}
	// a line that carries two correlation_id fields decodes to the last; count the raw text too
	data, _ := os.ReadFile(lg.Path())
	if n := strings.Count(string(data), `"correlation_id"`); n != 4+8*50 {
		t.Errorf("%d correlation_id fields in the file, want %d", n, 4+8*50)
	}

	consoleLines := strings.Split(strings.TrimSuffix(console.String(), "\n"), "\n")
	if len(consoleLines) != len(lines) {
		t.Fatalf("console has %d lines, file %d", len(consoleLines), len(lines))
	}
	for i, l := range consoleLines {
		if !strings.Contains(l, "run_id="+lg.RunID()) {
			t.Errorf("console line %d lacks the run ID: %s", i+1, l)
		}
		if strings.Contains(l, "\x1b[") {
			t.Errorf("console line %d has colour codes though the console is not a terminal: %q", i+1, l)
		}
	}
	if !strings.Contains(consoleLines[2], "correlation_id=pull-101") || !strings.Contains(consoleLines[2], "INF page") {
		t.Errorf("console line 3 = %q", consoleLines[2])
	}
}

func TestFromWithoutLogger(t *testing.T) {
	ctx := WithCorrelation(context.Background(), "x")
	l := From(ctx)
	if l.GetLevel() != zerolog.Disabled {
		t.Errorf("From without a logger has level %v, want disabled", l.GetLevel())
	}
	l.Info().Msg("discarded") // must not panic
	if got := From(context.Background()).GetLevel(); got != zerolog.Disabled {
		t.Errorf("From(Background) level = %v", got)
	}
}

func TestLevels(t *testing.T) {
	tests := []struct {
		level string
		want  []string // messages that reach the file and the console
	}{
		{"debug", []string{"d", "i", "w", "e"}},
		{"info", []string{"i", "w", "e"}},
		{"", []string{"i", "w", "e"}},
		{"warn", []string{"w", "e"}},
		{"error", []string{"e"}},
	}
	for _, tt := range tests {
		t.Run("level="+tt.level, func(t *testing.T) {
			var console bytes.Buffer
			lg, err := New(Options{Dir: t.TempDir(), Console: &console, Level: tt.level})
			if err != nil {
				t.Fatal(err)
			}
			defer lg.Close()
			lg.Debug().Msg("d")
			lg.Info().Msg("i")
			lg.Warn().Msg("w")
			lg.Error().Msg("e")
			var got []string
			for _, line := range jsonLines(t, lg.Path()) {
				got = append(got, line["message"].(string))
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("file messages = %v, want %v", got, tt.want)
			}
			if n := strings.Count(console.String(), "\n"); n != len(tt.want) {
				t.Errorf("console has %d lines, want %d:\n%s", n, len(tt.want), console.String())
			}
		})
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in      string
		want    zerolog.Level
		wantErr string
	}{
		{"debug", zerolog.DebugLevel, ""},
		{"info", zerolog.InfoLevel, ""},
		{"", zerolog.InfoLevel, ""},
		{"warn", zerolog.WarnLevel, ""},
		{"error", zerolog.ErrorLevel, ""},
		{"verbose", zerolog.NoLevel, `log level "verbose" is not one of debug, info, warn, error`},
		{"INFO", zerolog.NoLevel, `log level "INFO" is not one of debug, info, warn, error`},
		{"warning", zerolog.NoLevel, `log level "warning" is not one of debug, info, warn, error`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseLevel(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ParseLevel(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseLevel(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
	dir := t.TempDir()
	if _, err := New(Options{Dir: dir, Level: "loud"}); err == nil || err.Error() != `log level "loud" is not one of debug, info, warn, error` {
		t.Errorf("New with a bad level: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("New with a bad level created the log file: %v", err)
	}
}

func TestRunID(t *testing.T) {
	format := regexp.MustCompile(`^\d{8}T\d{6}Z-[0-9a-f]{6}$`)
	id := NewRunID()
	if !format.MatchString(id) {
		t.Errorf("NewRunID() = %q, want 20261123T134500Z-<6 hex>", id)
	}
	if other := NewRunID(); other == id {
		t.Errorf("two run IDs are equal: %s", id)
	}
	start := time.Date(2026, 11, 23, 13, 45, 0, 0, time.FixedZone("CET", 3600))
	got := newRunID(start, bytes.NewReader([]byte{0xab, 0xcd, 0xef}))
	if got != "20261123T124500Z-abcdef" {
		t.Errorf("newRunID = %q, want 20261123T124500Z-abcdef (UTC)", got)
	}
	// later runs sort after earlier ones, whatever their random part
	earlier := newRunID(start, bytes.NewReader([]byte{0xff, 0xff, 0xff}))
	later := newRunID(start.Add(time.Second), bytes.NewReader([]byte{0, 0, 0}))
	if earlier >= later {
		t.Errorf("run IDs do not sort by time: %s >= %s", earlier, later)
	}
	if c := NewCorrelationID(); !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(c) {
		t.Errorf("NewCorrelationID() = %q", c)
	}
}

func TestFilePermissionsAndAppend(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache", "trialsync", "logs")
	lg, err := New(Options{Dir: dir, RunID: "run-1"})
	if err != nil {
		t.Fatal(err)
	}
	lg.Info().Msg("first run")
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
	if lg.Path() != filepath.Join(dir, FileName) {
		t.Errorf("Path() = %s", lg.Path())
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, lg.Path(): 0o600} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s mode = %v, want %v", path, got, want)
		}
	}

	// an existing, too-open file and directory are tightened; the file is appended to, not truncated
	if err := os.Chmod(lg.Path(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	lg2, err := New(Options{Dir: dir, RunID: "run-2"})
	if err != nil {
		t.Fatal(err)
	}
	lg2.Info().Msg("second run")
	lg2.Close()
	lines := jsonLines(t, lg.Path())
	if len(lines) != 2 || lines[0][RunIDField] != "run-1" || lines[1][RunIDField] != "run-2" {
		t.Errorf("after two runs the file holds %v", lines)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, lg.Path(): 0o600} {
		if info, _ := os.Stat(path); info.Mode().Perm() != want {
			t.Errorf("%s mode = %v after reopening, want %v", path, info.Mode().Perm(), want)
		}
	}
}

func TestRotation(t *testing.T) {
	dir := t.TempDir()
	const maxSize = 2000
	lg, err := New(Options{Dir: dir, MaxSize: maxSize, MaxBackups: 2})
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	for i := range n {
		lg.Info().Int("i", i).Msg("a line long enough to fill a small file quickly")
	}
	lg.Close()

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		info, _ := e.Info()
		if info.Size() > maxSize {
			t.Errorf("%s is %d bytes, over the %d cap", e.Name(), info.Size(), maxSize)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v", e.Name(), info.Mode().Perm())
		}
	}
	if want := []string{FileName, FileName + ".1", FileName + ".2"}; strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("files = %v, want %v", names, want)
	}
	// the newest lines are in the current file, the ones before them in .1, then .2; no line is split
	var seq []float64
	for _, name := range []string{FileName + ".2", FileName + ".1", FileName} {
		for _, line := range jsonLines(t, filepath.Join(dir, name)) {
			seq = append(seq, line["i"].(float64))
		}
	}
	if len(seq) == 0 || seq[len(seq)-1] != n-1 {
		t.Fatalf("last line kept is %v, want %d", seq[len(seq)-1:], n-1)
	}
	for k := 1; k < len(seq); k++ {
		if seq[k] != seq[k-1]+1 {
			t.Fatalf("lines kept are not consecutive at %d: %v", k, seq)
		}
	}
}

func TestWriteAfterClose(t *testing.T) {
	w, err := openFile(t.TempDir(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("late\n")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after Close = %v, want os.ErrClosed", err)
	}
}
