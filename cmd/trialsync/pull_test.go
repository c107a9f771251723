package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

// pullSetup starts an RWS simulator, writes a config for it and stores the password in the keyring.
func pullSetup(t *testing.T, opts simrws.Options) (s *simrws.Server, cfgPath string) {
	t.Helper()
	s, err := simrws.Start("127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	o := s.Options()
	cfgPath = filepath.Join(t.TempDir(), "config.toml")
	cfg := fmt.Sprintf("[rave]\nurl = %q\nauth = \"basic\"\nuser = %q\npage_size = 1000\n\n[[rave.study]]\noid = %q\n", s.URL(), o.User, o.Study)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return s, cfgPath
}

// TestPullSurvivesKill9 kills `trialsync pull --once` with SIGKILL at random moments, at least 20 times, each
// run resuming from what the last one committed; then one run completes. The store then equals an
// uninterrupted run's row for row, and its audit chain verifies.
func TestPullSurvivesKill9(t *testing.T) {
	needKeyring(t)
	isolate(t)
	// A feed long enough (about 16 s of pages at the client's 10 requests/s) that 24 runs killed after
	// 0.1-0.9 s each cannot finish it: every run resumes from the previous one's last commit.
	opts := simrws.Options{Seed: 11, SubjectsPerSite: 50, Visits: 6}
	_, refCfg := pullSetup(t, opts)
	s, cfg := pullSetup(t, opts)
	total := s.TotalRecords()
	pw := "sim-password\n"

	refStore := filepath.Join(t.TempDir(), "ref.db")
	if r := cli(t, pw, "--store", refStore, "--config", refCfg, "creds", "set", "rave.password"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	began := time.Now()
	if r := cli(t, "", "--store", refStore, "--config", refCfg, "pull", "--once"); r.code != 0 {
		t.Fatalf("reference pull: %d %s", r.code, r.stderr)
	}
	t.Logf("uninterrupted pull of %d audit records: %s", total, time.Since(began))
	want := cli(t, "", "--store", refStore, "export", "clinical").stdout
	if strings.Count(want, "\n") < 200 {
		t.Fatalf("reference export has only %d rows", strings.Count(want, "\n"))
	}

	path := filepath.Join(t.TempDir(), "killed.db")
	seed := rand.Uint64()
	rng := rand.New(rand.NewPCG(seed, 1))
	killed := 0
	for i := 0; i < 24; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childModeEnv+"=cli",
			childArgsEnv+"="+strings.Join([]string{"--store", path, "--config", cfg, "pull", "--once"}, "\x1f"))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(100+rng.IntN(800)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			killed++
		} else if cmd.ProcessState.ExitCode() != 0 {
			t.Fatalf("run %d (seed %d) failed on its own: %s", i, seed, stderr.String())
		}
	}
	if killed < 20 {
		t.Fatalf("only %d of 24 runs were killed mid-pull (seed %d): the pull is too short for this test", killed, seed)
	}
	if r := cli(t, "", "--store", path, "--config", cfg, "pull", "--once"); r.code != 0 {
		t.Fatalf("final pull: %d %s", r.code, r.stderr)
	}
	got := cli(t, "", "--store", path, "export", "clinical").stdout
	if got != want {
		t.Fatalf("after %d kills (seed %d) the store differs from an uninterrupted run (%d vs %d rows)", killed, seed,
			strings.Count(got, "\n"), strings.Count(want, "\n"))
	}
	if r := cli(t, "", "--store", path, "audit", "verify"); r.code != 0 {
		t.Fatalf("audit after kills: %s", r.stderr)
	}
	t.Logf("%d kills (seed %d), %d rows equal", killed, seed, strings.Count(got, "\n"))
}
