package ravepull

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/rws"
	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

// The crash test runs its pulls in child processes (this test binary again), so that SIGKILL ends a
// real process in the middle of a real commit. Children use the real Secret Service: the audit key
// must outlive each process.
const (
	childEnv        = "RAVEPULL_TEST_CHILD" // "pull" or "dump"
	childStoreEnv   = "RAVEPULL_TEST_STORE"
	childServiceEnv = "RAVEPULL_TEST_SERVICE"
	childRWSEnv     = "RAVEPULL_TEST_RWS"
	childKillAtEnv  = "RAVEPULL_TEST_KILL_AT" // the group commit (1-based) to announce; see childMergeEnv
	childBlockEnv   = "RAVEPULL_TEST_BLOCK"   // "1": stop inside that commit until killed
	// childMergeEnv: "1" merges staged rows every few groups, a few hundred bytes per transaction,
	// and announces merge transactions instead of group commits (a negative kill point -n: the last
	// transaction of the n-th merge).
	childMergeEnv = "RAVEPULL_TEST_MERGE"
)

func runChild(mode string) int {
	ctx := context.Background()
	db, err := store.Open(ctx, os.Getenv(childStoreEnv), store.Options{
		Keyring: store.NewSystemKeyring(os.Getenv(childServiceEnv), nil), LockTimeout: 5 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	switch mode {
	case "pull":
		return childPull(ctx, db)
	case "dump":
		return childDump(ctx, db)
	}
	fmt.Fprintln(os.Stderr, "unknown child mode", mode)
	return 2
}

// childPull pulls the audit feed in groups of several pages. With a kill point set, it prints
// "in-commit parts=N" from inside that group's transaction, after all its writes, and then either
// waits there to be killed or goes on to commit while the parent's SIGKILL is on its way.
func childPull(ctx context.Context, db *store.DB) int {
	c, err := rws.New(rws.Config{BaseURL: os.Getenv(childRWSEnv), Auth: rws.BasicAuth("rws.integration", "sim-password"),
		Timeout: 5 * time.Second, RequestsPerSecond: 10_000, Burst: 1000})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	e := New(Options{DB: db, Source: c, Log: zerolog.Nop(), RunID: "crash-run", PageSize: 50, BatchRows: 200})
	killAt, _ := strconv.Atoi(os.Getenv(childKillAtEnv))
	stop := func(line string) {
		fmt.Println(line)
		if os.Getenv(childBlockEnv) == "1" {
			select {}
		}
	}
	commits := 0
	if os.Getenv(childMergeEnv) == "1" {
		e.mergeBytes, e.mergeAt = 300, 30_000
		lasts := 0 // a negative kill point counts the merges' last transactions
		e.inMerge = func(last bool) {
			if last {
				lasts++
			}
			if commits++; commits == killAt || last && lasts == -killAt {
				stop(fmt.Sprintf("in-merge last=%v", last))
			}
		}
	} else {
		e.inCommit = func(parts int) {
			if commits++; commits == killAt {
				stop(fmt.Sprintf("in-commit parts=%d", parts))
			}
		}
	}
	if _, err := e.PullAudit(ctx, study); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("done")
	return 0
}

// childDump prints what must be equal after an interrupted and an uninterrupted pull: every stored
// value, where the cursor points, and the first audit entry of each page (what it fetched, its rows and
// cursor change). Left out: page hashes (an answer names its own FileOID and creation time, so two
// fetches of one page differ in those bytes), and so the entries and counts of the last page read again
// (every pull after the end reads it again for new records; a kill just after the last commit makes one
// more such read than the uninterrupted run).
func childDump(ctx context.Context, db *store.DB) int {
	err := db.WalkClinical(ctx, func(k store.ClinicalKey, v store.ClinicalValue) error {
		_, err := fmt.Printf("%q %+v\n", k, v)
		return err
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	db.View(ctx, func(tx *store.Tx) error {
		c, _, err := tx.Cursor(study.OID, "", FeedAudit)
		fmt.Printf("cursor next=%s %v\n", c.Next, err)
		fmt.Printf("staged rows left: %v\n", tx.HasStaged(study.OID))
		return nil
	})
	entries, err := db.Entries(ctx, 0, 1<<20)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if e.Action == "pull.page" && !seen[e.Reason] {
			seen[e.Reason] = true
			fmt.Printf("entry %s | %s | %s | %s\n", e.Object, e.Old, e.New, e.Reason)
		}
	}
	rep, err := db.Verify(ctx, nil)
	if err != nil || !rep.OK() {
		fmt.Fprintln(os.Stderr, "audit verify:", err, rep.Problem)
		return 1
	}
	return 0
}

func child(t *testing.T, mode, path, service, rwsURL string, extra ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, childStoreEnv+"="+path, childServiceEnv+"="+service, childRWSEnv+"="+rwsURL)
	cmd.Env = append(cmd.Env, extra...)
	return cmd
}

func childOutput(t *testing.T, mode, path, service, rwsURL string) string {
	t.Helper()
	cmd := child(t, mode, path, service, rwsURL)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child %s: %v: %s", mode, err, stderr.String())
	}
	return string(out)
}

// TestKillDuringGroupCommit kills a pull with SIGKILL while a group of several audit pages is being
// committed: either stopped inside the group's transaction after all its writes, or racing the
// transaction's commit (page writes, fsync, meta page). Each run resumes from the previous run's last
// commit; after a final uninterrupted run the store holds exactly what one uninterrupted pull stores:
// the same values, the same cursor, and the same audit entry for every page.
func TestKillDuringGroupCommit(t *testing.T) {
	kills, multi := killRounds(t, "in-commit parts=", nil, func(rng *mrand.Rand) int { return 1 + rng.IntN(2) })
	if kills < 10 || multi < kills/2 {
		t.Fatalf("%d kills, %d of them in a group of several pages: the feed is too short for this test", kills, multi)
	}
}

// TestKillDuringMerge kills pulls that merge their staged rows every few groups, in transactions of a
// few rows each, while a merge transaction is committing (stopped inside it, or racing its commit),
// including the transactions that only remove merged runs. Merges resume from their last commit, and
// runs staged after a merge began are merged after it: after a final uninterrupted run the store holds
// exactly what one uninterrupted pull (with one merge at its end) stores, and no staged rows.
func TestKillDuringMerge(t *testing.T) {
	kills, last := killRounds(t, "in-merge last=", []string{childMergeEnv + "=1"}, func(rng *mrand.Rand) int {
		if rng.IntN(3) == 0 {
			return -1 - rng.IntN(2) // the first or second merge's last transaction
		}
		return 1 + rng.IntN(40)
	})
	if kills < 10 || last == 0 {
		t.Fatalf("%d kills, %d of them in the last transaction of a merge: the feed is too short for this test", kills, last)
	}
}

// killRounds pulls the same feed once without interruption (the reference) and then in rounds of
// child processes killed with SIGKILL when they print a line starting with prefix (at the kill
// point killAt picks for the round, stopped there in every other round and racing the commit in the
// others), then once more to the end, and fails unless the store equals the reference. It returns
// the kills, and how many of them came on a line whose rest is "true" or a number of 2 or more (a
// merge's last transaction, a group of several pages).
func killRounds(t *testing.T, prefix string, env []string, killAt func(*mrand.Rand) int) (kills, special int) {
	t.Helper()
	if os.Getenv("TRIALSYNC_REAL_KEYRING") != "1" {
		t.Skip("needs the real Secret Service for the child processes: run through make test (.ci/with-session)")
	}
	s := startSim(t, simrws.Options{Seed: 12, SubjectsPerSite: 40, Visits: 4})
	b := make([]byte, 4)
	rand.Read(b)
	service := "ravepull-crash-test-" + hex.EncodeToString(b)
	dir := t.TempDir()

	ref := filepath.Join(dir, "ref.db")
	if out := childOutput(t, "pull", ref, service, s.URL()); !strings.Contains(out, "done") {
		t.Fatalf("uninterrupted pull: %q", out)
	}
	want := childOutput(t, "dump", ref, service, s.URL())
	if !strings.Contains(want, "staged rows left: false") {
		t.Fatalf("the reference pull left staged rows unmerged:\n%s", want)
	}
	if strings.Count(want, "\nentry ") < 10 {
		t.Fatalf("reference pull too small:\n%s", want)
	}

	path := filepath.Join(dir, "killed.db")
	seed := mrand.Uint64()
	rng := mrand.New(mrand.NewPCG(seed, 2))
	finished := false
	for round := 0; round < 25 && !finished; round++ {
		block := round%2 == 0
		cmd := child(t, "pull", path, service, s.URL(), append([]string{
			childKillAtEnv + "=" + strconv.Itoa(killAt(rng)), childBlockEnv + "=" + map[bool]string{true: "1", false: "0"}[block]}, env...)...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			line := lines.Text()
			if rest, ok := strings.CutPrefix(line, prefix); ok {
				if n, _ := strconv.Atoi(rest); n >= 2 || rest == "true" {
					special++
				}
				if !block {
					time.Sleep(time.Duration(rng.IntN(15_000)) * time.Microsecond)
				}
				cmd.Process.Signal(syscall.SIGKILL)
				kills++
				break
			}
			if line == "done" {
				finished = true
			}
		}
		cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !(ok && ws.Signaled()) && cmd.ProcessState.ExitCode() != 0 {
			t.Fatalf("round %d (seed %d) failed on its own: %s", round, seed, stderr.String())
		}
	}
	if !finished { // one complete run, as in the reference: a second would read the last page again
		if out := childOutput(t, "pull", path, service, s.URL()); !strings.Contains(out, "done") {
			t.Fatalf("final pull: %q", out)
		}
	}
	if got := childOutput(t, "dump", path, service, s.URL()); got != want {
		t.Fatalf("after %d kills (seed %d) the store differs from an uninterrupted pull:\n%s", kills, seed, firstDiff(got, want))
	}
	t.Logf("%d kills (%d special, seed %d); store equal to the uninterrupted pull's", kills, special, seed)
	return kills, special
}
