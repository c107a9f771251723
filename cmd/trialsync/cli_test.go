package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trialsync/trialsync/store"
)

// needKeyring skips tests that need the real Secret Service when it is not there. `make test` runs
// everything inside .ci/with-session (private D-Bus + unlocked gnome-keyring), which sets
// TRIALSYNC_REAL_KEYRING, so there these tests always run.
func needKeyring(t *testing.T) {
	t.Helper()
	if os.Getenv("TRIALSYNC_REAL_KEYRING") != "1" {
		t.Skip("needs the real Secret Service: run through make test (.ci/with-session)")
	}
}

// isolate gives the test its own keyring service name and log directory, so tests running side by
// side never see each other's entries.
func isolate(t *testing.T) (service, logDir string) {
	t.Helper()
	b := make([]byte, 4)
	rand.Read(b)
	service = "trialsync-test-" + hex.EncodeToString(b)
	logDir = filepath.Join(t.TempDir(), "logs")
	t.Setenv("TRIALSYNC_KEYRING_SERVICE", service)
	t.Setenv("TRIALSYNC_LOG_DIR", logDir)
	return service, logDir
}

type result struct {
	code           int
	stdout, stderr string
}

// cli runs one trialsync command line in-process, as main would.
func cli(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return result{code, out.String(), errb.String()}
}

// seedStore creates a store holding n entries through the store API and the real keyring.
func seedStore(t *testing.T, service string, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trialsync.db")
	db, err := store.Open(t.Context(), path, store.Options{Keyring: store.NewSystemKeyring(service, nil)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := 1; i < n; i++ {
		err := db.Update(t.Context(), func(tx *store.Tx) error {
			_, err := tx.Append(store.Entry{Actor: "tester", Action: "test.seed", Object: "obj", Reason: "seed"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// oneLineError checks the contract's error form: one line on stderr starting with "trialsync: ".
func oneLineError(t *testing.T, r result, wantCode int, contains string) {
	t.Helper()
	if r.code != wantCode {
		t.Fatalf("exit %d, want %d; stderr %q", r.code, wantCode, r.stderr)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "trialsync: ") || !strings.Contains(last, contains) {
		t.Fatalf("stderr %q, want a line starting with trialsync: and containing %q", r.stderr, contains)
	}
}

func TestBadLogLevelIsUsageError(t *testing.T) {
	oneLineError(t, cli(t, "", "--log-level", "loud", "version"), 2, `log level "loud"`)
}
