package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trialsync/trialsync/store"
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
	// The killed runs' tenant answers each request 150 ms late (the same data), so that however fast
	// the machine, the 24 runs together cannot reach the end of the feed.
	slow := opts
	slow.Faults = "slow:150ms"
	s, cfg := pullSetup(t, slow)
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
		r, k := killedCLI(t, time.Duration(100+rng.IntN(800))*time.Millisecond, "--store", path, "--config", cfg, "pull", "--once")
		if k {
			killed++
		} else if r.code != 0 {
			t.Fatalf("run %d (seed %d) failed on its own: %s", i, seed, r.stderr)
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

// TestPullReset: `pull reset` forgets a study's position with a reason (both required), audited; the
// next pull reads the feed from the beginning and changes nothing it had stored.
func TestPullReset(t *testing.T) {
	needKeyring(t)
	isolate(t)
	_, cfg := pullSetup(t, simrws.Options{Seed: 5, SubjectsPerSite: 2, Visits: 1})
	path := filepath.Join(t.TempDir(), "s.db")
	base := []string{"--store", path, "--config", cfg}
	if r := cli(t, "sim-password\n", append(base, "creds", "set", "rave.password")...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	usage := []struct {
		args []string
		want string
	}{
		{[]string{"pull", "reset", "--reason", "r"}, "needs --study S"},
		{[]string{"pull", "reset", "--study", "ALPHA(Prod)"}, "needs --reason R"},
		{[]string{"pull", "reset", "--study", "ALPHA(Prod)", "--reason", " "}, "needs --reason R"},
		{[]string{"pull", "reset", "--study", "ALPHA(Prod)", "--reason", "r", "--feed", "both"}, `--feed "both"`},
		{[]string{"pull", "reset", "extra"}, "takes no arguments"},
	}
	for _, u := range usage {
		oneLineError(t, cli(t, "", append(base, u.args...)...), 2, u.want)
	}
	oneLineError(t, cli(t, "", append(base, "pull", "reset", "--study", "GAMMA(Prod)", "--reason", "r")...), 1,
		`no configured study matches --study "GAMMA(Prod)"`)

	if r := cli(t, "", append(base, "pull", "--once")...); r.code != 0 {
		t.Fatalf("pull: %s", r.stderr)
	}
	before := cli(t, "", append(base, "export", "clinical")...).stdout
	r := cli(t, "", append(base, "pull", "reset", "--study", "ALPHA(Prod)", "--feed", "audit", "--reason", "Rave moved")...)
	if r.code != 0 || !strings.HasPrefix(r.stderr, "ALPHA(Prod) audit: reset (was http://127.0.0.1:") ||
		!strings.Contains(r.stderr, "the next pull reads it from the beginning") {
		t.Fatalf("reset: exit %d %q", r.code, r.stderr)
	}
	r = cli(t, "", append(base, "pull", "reset", "--study", "ALPHA(Prod)", "--site", "101", "--reason", "r")...)
	if r.code != 0 || r.stderr != "ALPHA(Prod) dataset: not pulled yet, nothing to reset\nALPHA(Prod) audit: not pulled yet, nothing to reset\n" {
		t.Fatalf("reset of a position never pulled: exit %d %q", r.code, r.stderr)
	}
	list := cli(t, "", append(base, "audit", "list", "--format", "jsonl")...).stdout
	if n := strings.Count(list, `"action":"`+store.ActionCursorReset+`"`); n != 1 || !strings.Contains(list, `"reason":"Rave moved"`) {
		t.Fatalf("%d reset entries in the audit trail:\n%s", n, list)
	}
	r = cli(t, "", append(base, "pull", "--once", "--feed", "audit")...)
	if r.code != 0 || !strings.Contains(r.stderr, "rows read, 0 written") || strings.Contains(r.stderr, " 0 pages") {
		t.Fatalf("pull after the reset: exit %d %q", r.code, r.stderr)
	}
	if after := cli(t, "", append(base, "export", "clinical")...).stdout; after != before {
		t.Fatal("reading the feed again changed the store")
	}
}

// TestPullPollingScope: `pull --study S --site X` polls without --once (only that study and site),
// printing each run, until interrupted; a rejected password ends polling with exit 1 and says so.
func TestPullPollingScope(t *testing.T) {
	needKeyring(t)
	isolate(t)
	_, cfg := pullSetup(t, simrws.Options{Seed: 5, SubjectsPerSite: 2, Visits: 1})
	path := filepath.Join(t.TempDir(), "s.db")
	base := []string{"--store", path, "--config", cfg}
	if r := cli(t, "sim-password\n", append(base, "creds", "set", "rave.password")...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append(base, "pull", "--study", "ALPHA(Prod)", "--site", "101"), strings.NewReader(""), io.Discard, pw)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var seen []string
	for lines.Scan() {
		seen = append(seen, lines.Text())
		if strings.HasPrefix(lines.Text(), "ALPHA(Prod): ") && strings.Contains(lines.Text(), "; next pull at ") {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d after interrupt; said:\n%s", code, strings.Join(seen, "\n"))
	}
	db := cli(t, "", append(base, "audit", "list", "--format", "jsonl")...).stdout
	if !strings.Contains(db, `"object":"ALPHA(Prod)/dataset sites 101"`) || strings.Contains(db, `"object":"ALPHA(Prod)/dataset"`) {
		t.Fatalf("the scoped polling pulled something else than site 101:\n%s", db)
	}

	if r := cli(t, "wrong\n", append(base, "creds", "set", "rave.password")...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	r := cli(t, "", append(base, "pull")...)
	oneLineError(t, r, 1, "RWS00008")
	if !strings.Contains(r.stderr, "ALPHA(Prod): stopped: credential rave.password rejected") || strings.Contains(r.stderr, "wrong") {
		t.Fatalf("stderr %q", r.stderr)
	}
}
