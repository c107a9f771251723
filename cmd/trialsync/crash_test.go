package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/store/storetest"
)

const (
	childModeEnv    = "TRIALSYNC_TEST_CHILD"
	childStoreEnv   = "TRIALSYNC_TEST_CHILD_STORE"
	childServiceEnv = "TRIALSYNC_TEST_CHILD_SERVICE"
	childArgsEnv    = "TRIALSYNC_TEST_CHILD_ARGS"
)

// runChild is the body of a child process started by a crash test.
func runChild(mode string) int {
	switch mode {
	case "append":
		return appendForever(os.Getenv(childStoreEnv), os.Getenv(childServiceEnv))
	case "burst":
		return burstChild(os.Getenv(childStoreEnv), os.Getenv(childServiceEnv))
	case "cli":
		args := strings.Split(os.Getenv(childArgsEnv), "\x1f")
		return run(context.Background(), args, os.Stdin, os.Stdout, os.Stderr)
	}
	fmt.Fprintln(os.Stderr, "unknown child mode", mode)
	return 2
}

// appendForever appends entries until killed: mostly one per transaction, sometimes a batch, with
// payloads of varying size so that pages split and overflow at different moments.
func appendForever(path, service string) int {
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{Keyring: store.NewSystemKeyring(service, nil), LockTimeout: 5 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	for i := 0; ; i++ {
		n := 1
		if i%7 == 0 {
			n = 50
		}
		err := db.Update(ctx, func(tx *store.Tx) error {
			for j := range n {
				_, err := tx.Append(store.Entry{Actor: "agent", Action: "crash.append", Object: fmt.Sprintf("obj-%d-%d", i, j),
					New: strings.Repeat("x", (i*31+j)%3000), Reason: "crash test"})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
}

// TestCrashWhileAppending kills a process appending audit entries with SIGKILL at random moments,
// 25 times. After every kill the store opens, the chain verifies end to end (so no partial entry is
// visible), and no committed entry was lost.
func TestCrashWhileAppending(t *testing.T) {
	needKeyring(t)
	service, _ := isolate(t)
	path := filepath.Join(t.TempDir(), "crash.db")
	seed := rand.Uint64()
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d", seed)
	const kills = 25
	var last int
	for i := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childModeEnv+"=append", childStoreEnv+"="+path, childServiceEnv+"="+service)
		stdout, _ := cmd.StdoutPipe()
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Half of the kills land at any moment (even during open or creation), half once appending.
		if i%2 == 0 {
			line, _ := bufio.NewReader(stdout).ReadString('\n')
			if line != "ready\n" {
				cmd.Wait()
				t.Fatalf("kill %d: child did not start: %q %s", i, line, stderr.String())
			}
		}
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("kill %d: child ended before the kill: %v %s", i, err, stderr.String())
		}
		if _, err := os.Stat(path); os.IsNotExist(err) {
			continue // killed before the store was created: nothing to check yet
		}
		db, err := store.Open(t.Context(), path, store.Options{Keyring: store.NewSystemKeyring(service, nil)})
		if err != nil {
			t.Fatalf("kill %d (seed %d): reopen: %v", i, seed, err)
		}
		rep, err := db.Verify(t.Context(), nil)
		db.Close()
		if err != nil || !rep.OK() {
			t.Fatalf("kill %d (seed %d): verify: %v %v", i, seed, err, rep.Problem)
		}
		n, err := storetest.Count(path)
		if err != nil || n != int(rep.Entries) {
			t.Fatalf("kill %d: %d entries in the bucket, %d verified (%v)", i, n, rep.Entries, err)
		}
		if n < last {
			t.Fatalf("kill %d: entries went from %d to %d", i, last, n)
		}
		last = n
	}
	if last < 100 {
		t.Fatalf("only %d entries after %d runs: the children hardly appended", last, kills)
	}
	t.Logf("%d kills, %d entries verified", kills, last)
}

// killedCLI runs one trialsync command line in a child process and sends it SIGKILL after pause. It
// reports whether the kill ended it; a child that ended first is not waited for past its end, and its
// exit code is in the result.
func killedCLI(t *testing.T, pause time.Duration, args ...string) (r result, killed bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childModeEnv+"=cli", childArgsEnv+"="+strings.Join(args, "\x1f"))
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(pause):
		cmd.Process.Signal(syscall.SIGKILL)
		<-exited
	}
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	return result{cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()}, ok && ws.Signaled()
}
