package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/store/storetest"
)

// Tests of what the commands do with a store file someone has removed, replaced, rolled back, cut
// short, damaged or made read-only, run against the real keyring and, where a kill is involved, a real
// process.

// burstChild commits 20 entries, says "burst1", waits for a line on stdin, commits 20 more, says
// "burst2" and then does nothing until it is killed: no further commit and no Close would refresh the
// keyring's checkpoint copy, only the store's timer.
func burstChild(path, service string) int {
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{Keyring: store.NewSystemKeyring(service, nil), LockTimeout: 5 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	burst := func(name string) error {
		for i := range 20 {
			err := db.Update(ctx, func(tx *store.Tx) error {
				_, err := tx.Append(store.Entry{Action: "test.burst", Object: fmt.Sprintf("%s-%d", name, i)})
				return err
			})
			if err != nil {
				return err
			}
		}
		fmt.Println(name)
		return nil
	}
	if err := burst("burst1"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	bufio.NewReader(os.Stdin).ReadString('\n')
	if err := burst("burst2"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	select {}
}

// TestRollbackAfterKillIsDetected: commit a burst, copy the file, commit more, wait 2 s, kill -9, put
// the copy back: the keyring's checkpoint copy was refreshed by the timer, so verify sees the rollback.
func TestRollbackAfterKillIsDetected(t *testing.T) {
	needKeyring(t)
	service, _ := isolate(t)
	path := filepath.Join(t.TempDir(), "trialsync.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childModeEnv+"=burst", childStoreEnv+"="+path, childServiceEnv+"="+service)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewReader(stdout)
	expect := func(want string) {
		t.Helper()
		if line, _ := lines.ReadString('\n'); line != want+"\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child said %q, want %q; stderr %s", line, want, stderr.String())
		}
	}
	expect("burst1")
	copied, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(stdin, "go\n")
	expect("burst2")
	time.Sleep(2 * time.Second)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("child ended before the kill: %s", stderr.String())
	}
	if err := os.WriteFile(path, copied, 0o600); err != nil {
		t.Fatal(err)
	}
	oneLineError(t, cli(t, "", "--store", path, "audit", "verify"), 3, "rolled back")
}

// TestDeletedOrReplacedStoreFailsVerify: verify, list and export never create a store; a deleted store
// the keyring remembers fails verify (exit 3), as does another valid store copied into its place; a
// command that records something makes a new store whose first entry names the missing one.
func TestDeletedOrReplacedStoreFailsVerify(t *testing.T) {
	needKeyring(t)
	service, _ := isolate(t)
	path := seedStore(t, service, 5)
	ro, err := store.Open(t.Context(), path, store.Options{Keyring: store.NewSystemKeyring(service, nil), ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	oldID := ro.InstallID()
	ro.Close()
	os.Remove(path)

	r := cli(t, "", "--store", path, "audit", "verify")
	oneLineError(t, r, 3, "store missing")
	if !strings.Contains(r.stderr, oldID) || !strings.Contains(r.stderr, "held 5 audit entries") {
		t.Errorf("verify of a deleted store: %q", r.stderr)
	}
	for _, args := range [][]string{{"audit", "list"}, {"audit", "export", "--out", filepath.Join(t.TempDir(), "a.jsonl")},
		{"export", "clinical"}, {"quarantine", "list"}} {
		oneLineError(t, cli(t, "", append([]string{"--store", path}, args...)...), 1, "store missing")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("a reading command created a store")
	}

	other := seedStore(t, service, 3)
	raw, _ := os.ReadFile(other)
	os.WriteFile(path, raw, 0o600)
	oneLineError(t, cli(t, "", "--store", path, "audit", "verify"), 3, "store replaced")
	os.Remove(path)

	if r := cli(t, "s3cret-value\n", "--store", path, "creds", "set", "edc.token"); r.code != 0 {
		t.Fatalf("creds set: %d %q", r.code, r.stderr)
	}
	r = cli(t, "", "--store", path, "audit", "list", "--format", "jsonl")
	first, _, _ := strings.Cut(r.stdout, "\n")
	if r.code != 0 || !strings.Contains(first, `"action":"store.created"`) || !strings.Contains(first, `"old":"`+oldID+`"`) {
		t.Fatalf("first entry of the new store: %q (%d %q)", first, r.code, r.stderr)
	}
	if r := cli(t, "", "--store", path, "audit", "verify"); r.code != 0 {
		t.Fatalf("verify of the new store: %d %q", r.code, r.stderr)
	}
}

// TestDamagedStoreFiles: a store cut short is refused with one line and exit 1 by every command, not a
// SIGBUS and a stack dump, and left as it was; a zeroed page of clinical data fails verify (exit 3)
// instead of half an export.
func TestDamagedStoreFiles(t *testing.T) {
	needKeyring(t)
	service, _ := isolate(t)
	withRows := func(t *testing.T) string {
		path := seedStore(t, service, 3)
		db, err := store.Open(t.Context(), path, store.Options{Keyring: store.NewSystemKeyring(service, nil)})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		err = db.Update(t.Context(), func(tx *store.Tx) error {
			var b store.ClinicalBatch
			for i := range 5000 {
				b.Add(&store.ClinicalKey{Study: "S", Site: "101", Subject: fmt.Sprintf("%05d", i), Item: "I"}, &store.ClinicalValue{Value: "value " + strconv.Itoa(i)})
			}
			_, err := tx.Clinical().Write(&b)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return path
	}

	t.Run("truncated", func(t *testing.T) {
		path := withRows(t)
		if err := storetest.Truncate(path, 0.5, false); err != nil {
			t.Fatal(err)
		}
		before, _ := os.ReadFile(path)
		for _, args := range [][]string{{"audit", "verify"}, {"export", "clinical"}, {"audit", "list"}, {"quarantine", "resolve", "1", "--reason", "x"}} {
			r := cli(t, "", append([]string{"--store", path}, args...)...)
			oneLineError(t, r, 1, "truncated")
			if strings.Contains(r.stderr, "goroutine") {
				t.Fatalf("%v: a stack dump: %q", args, r.stderr)
			}
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Fatal("the truncated store was modified")
		}
	})

	t.Run("zeroed page", func(t *testing.T) {
		path := withRows(t)
		raw, _ := os.ReadFile(path)
		i := bytes.Index(raw, []byte("value 2500"))
		if i < 0 {
			t.Fatal("no row on disk")
		}
		page := i &^ 4095
		copy(raw[page:page+4096], make([]byte, 4096))
		os.WriteFile(path, raw, 0o600)
		oneLineError(t, cli(t, "", "--store", path, "audit", "verify"), 3, "store damaged")
		if r := cli(t, "", "--store", path, "export", "clinical"); r.code == 0 {
			t.Fatal("export of a damaged store succeeded: this test damaged nothing")
		}
	})
}

// TestReadOnlyCopyCommands: a store copy made read-only (0400) can be verified, listed and exported,
// and stays byte for byte as it was; the audit export says it could not record itself.
func TestReadOnlyCopyCommands(t *testing.T) {
	needKeyring(t)
	service, _ := isolate(t)
	path := seedStore(t, service, 5)
	os.Chmod(path, 0o400)
	before, _ := os.ReadFile(path)
	out := filepath.Join(t.TempDir(), "audit.jsonl")
	cases := []struct {
		args []string
		want string // on stderr, or stdout lines
	}{
		{[]string{"audit", "verify"}, "ok: 5 entries"},
		{[]string{"audit", "list"}, "test.seed"},
		{[]string{"audit", "export", "--out", out}, "not recorded in its audit trail"},
		{[]string{"export", "clinical", "--format", "csv"}, ""},
		{[]string{"quarantine", "list"}, "ID"},
	}
	for _, tc := range cases {
		r := cli(t, "", append([]string{"--store", path}, tc.args...)...)
		if r.code != 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v on a read-only copy: exit %d, %q", tc.args, r.code, r.stderr)
		}
	}
	if r := cli(t, "", "--store", path, "audit", "list", "--format", "jsonl"); strings.Count(r.stdout, "\n") != 5 {
		t.Errorf("list --format jsonl: %q", r.stdout)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("the read-only copy was modified")
	}
	oneLineError(t, cli(t, "", "--store", path, "quarantine", "resolve", "1", "--reason", "x"), 1, "read-only")
}

// TestNoSessionBusLeavesNoDaemons: with no D-Bus session, a command fails at once saying that no
// Secret Service is reachable and how to start one, and leaves no dbus-daemon or gnome-keyring-daemon
// behind (godbus would launch both through dbus-launch).
func TestNoSessionBusLeavesNoDaemons(t *testing.T) {
	mark := make([]byte, 6)
	rand.Read(mark)
	marker := "TRIALSYNC_TEST_MARK=" + hex.EncodeToString(mark)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") {
			env = append(env, kv)
		}
	}
	env = append(env, marker, childModeEnv+"=cli", childArgsEnv+"="+strings.Join([]string{
		"--store", filepath.Join(t.TempDir(), "trialsync.db"), "creds", "list"}, "\x1f"))
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	t.Cleanup(func() { // whatever the result, end the daemons this test started
		for _, pid := range processesWith(marker) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(stderr.String(), "no Secret Service reachable") ||
		!strings.Contains(stderr.String(), "gnome-keyring-daemon --unlock") {
		t.Fatalf("creds list without a session: exit %d (%v), %q", code, err, stderr.String())
	}
	if pids := processesWith(marker); len(pids) > 0 {
		var names []string
		for _, pid := range pids {
			comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
			names = append(names, strings.TrimSpace(string(comm)))
		}
		t.Fatalf("processes left behind: %v", names)
	}
}

// processesWith returns the IDs of running processes whose environment holds kv.
func processesWith(kv string) []int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var pids []int
	for _, d := range dirs {
		env, err := os.ReadFile(filepath.Join(d, "environ"))
		if err != nil || !bytes.Contains(env, []byte("\x00"+kv+"\x00")) && !bytes.HasPrefix(env, []byte(kv+"\x00")) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(d)); err == nil && pid != os.Getpid() {
			pids = append(pids, pid)
		}
	}
	return pids
}
