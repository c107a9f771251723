package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/trialsync/trialsync/store"
	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

// Unit tests use go-keyring's mock; the CLI's tests cover the real Secret Service.
func TestMain(m *testing.M) {
	keyring.MockInit()
	os.Exit(m.Run())
}

// newAgent opens an agent on a fresh store with a config for the simulator at rwsURL ("" for no
// [rave]), and the simulator's password in the (mock) keyring unless noPassword.
func newAgent(t *testing.T, rwsURL string, noPassword bool) *Agent {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	body := "[sureadhere]\nurl = \"https://sureadhere.example.org\"\nregimens = { \"Arm A\" = \"Group 1\" }\n"
	if rwsURL != "" {
		body = fmt.Sprintf("[rave]\nurl = %q\nauth = \"basic\"\nuser = \"rws.integration\"\npoll = \"1h\"\n\n[[rave.study]]\noid = \"ALPHA(Prod)\"\n", rwsURL)
	}
	os.WriteFile(cfg, []byte(body), 0o600)
	a, err := Open(t.Context(), Options{StorePath: filepath.Join(dir, "s.db"), ConfigPath: cfg, LogDir: filepath.Join(dir, "logs"),
		KeyringService: fmt.Sprintf("agent-test-%d", time.Now().UnixNano())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if !noPassword {
		if err := a.SetCredential(t.Context(), "rave.password", "sim-password"); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

// waitRuns waits until the study's pull service has completed n runs.
func waitRuns(t *testing.T, a *Agent, n int) PullState {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		for _, st := range a.PullStates() {
			if st.Runs >= n {
				return st
			}
		}
		select {
		case <-a.Changed():
		case <-deadline:
			t.Fatalf("no %d completed runs: %+v", n, a.PullStates())
		}
	}
}

// TestRunPollsAndPullNowKicks: the service pulls at start; with a one-hour interval only "Pull now"
// can bring a second run; cancelling ends Run without error.
func TestRunPollsAndPullNowKicks(t *testing.T) {
	s, err := simrws.Start("127.0.0.1:0", simrws.Options{Seed: 2, Visible: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := newAgent(t, s.URL(), false)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	first := waitRuns(t, a, 1)
	if first.Err != "" || first.Last.Rows == 0 || first.NextRun.Before(time.Now().Add(50*time.Minute)) {
		t.Fatalf("first run %+v", first)
	}
	s.Advance(s.TotalRecords())
	a.PullNow()
	second := waitRuns(t, a, 2)
	if second.Err != "" || second.Last.Written == 0 {
		t.Fatalf("kicked run found nothing new: %+v", second)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
}

// TestRunRecordsFailureAndRetriesSooner: a refused login makes a failed run, recorded with its reason
// (no secret in it), retried after the 5 s backoff rather than the one-hour interval.
func TestRunRecordsFailureAndRetriesSooner(t *testing.T) {
	s, err := simrws.Start("127.0.0.1:0", simrws.Options{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := newAgent(t, s.URL(), true)
	if err := a.SetCredential(t.Context(), "rave.password", "not-the-password"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	go a.Run(ctx)
	st := waitRuns(t, a, 1)
	if !strings.Contains(st.Err, "RWS00008") || strings.Contains(st.Err, "not-the-password") {
		t.Fatalf("failed run not recorded as it should be: %+v", st)
	}
	if wait := time.Until(st.NextRun); wait > 10*time.Second {
		t.Fatalf("retry in %s after a failure, want the 5 s backoff, not the hour", wait)
	}
}

// TestRunStopsOnMissingCredentialAndConfig: problems no retry can fix end Run at once.
func TestRunStopsOnMissingCredentialAndConfig(t *testing.T) {
	a := newAgent(t, "http://127.0.0.1:9/RaveWebServices", true)
	err := a.Run(t.Context())
	if !errors.Is(err, store.ErrSecretNotFound) || !strings.Contains(err.Error(), "credential rave.password not set (trialsync creds set rave.password)") {
		t.Fatalf("Run without the password: %v", err)
	}
	b := newAgent(t, "", true)
	if err := b.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "nothing to run") {
		t.Fatalf("Run without [rave]: %v", err)
	}
}
