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
	childKillAtEnv  = "RAVEPULL_TEST_KILL_AT" // the group commit (1-based) to announce
	childBlockEnv   = "RAVEPULL_TEST_BLOCK"   // "1": stop inside that commit until killed
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
	commits := 0
	e.inCommit = func(parts int) {
		if commits++; commits == killAt {
			fmt.Printf("in-commit parts=%d\n", parts)
			if os.Getenv(childBlockEnv) == "1" {
				select {}
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
	if strings.Count(want, "\nentry ") < 10 {
		t.Fatalf("reference pull too small:\n%s", want)
	}

	path := filepath.Join(dir, "killed.db")
	seed := mrand.Uint64()
	rng := mrand.New(mrand.NewPCG(seed, 2))
	kills, multi, finished := 0, 0, false
	for round := 0; round < 25 && !finished; round++ {
		block := round%2 == 0
		cmd := child(t, "pull", path, service, s.URL(),
			childKillAtEnv+"="+strconv.Itoa(1+rng.IntN(2)), childBlockEnv+"="+map[bool]string{true: "1", false: "0"}[block])
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
			if parts, ok := strings.CutPrefix(line, "in-commit parts="); ok {
				if n, _ := strconv.Atoi(parts); n >= 2 {
					multi++
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
	if kills < 10 || multi < kills/2 {
		t.Fatalf("%d kills, %d of them in a group of several pages (seed %d): the feed is too short for this test", kills, multi, seed)
	}
	if !finished { // one complete run, as in the reference: a second would read the last page again
		if out := childOutput(t, "pull", path, service, s.URL()); !strings.Contains(out, "done") {
			t.Fatalf("final pull: %q", out)
		}
	}
	if got := childOutput(t, "dump", path, service, s.URL()); got != want {
		t.Fatalf("after %d kills (seed %d) the store differs from an uninterrupted pull:\n%s", kills, seed, firstDiff(got, want))
	}
	t.Logf("%d kills (%d in multi-page groups, seed %d); store equal to the uninterrupted pull's", kills, multi, seed)
}
