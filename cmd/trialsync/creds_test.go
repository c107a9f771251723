package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCredsLifecycle(t *testing.T) {
	needKeyring(t)
	isolate(t)
	path := filepath.Join(t.TempDir(), "s.db")
	steps := []struct {
		args   []string
		stdin  string
		code   int
		stderr string
	}{
		{[]string{"creds", "list"}, "", 0, ""},
		{[]string{"creds", "set", "rave.password"}, "s3cret-value\n", 0, "credential rave.password set"},
		{[]string{"creds", "set", "sureadhere.token"}, "tok-123\r\n", 0, "credential sureadhere.token set"},
		{[]string{"creds", "list"}, "", 0, "rave.password\nsureadhere.token\n"},
		{[]string{"creds", "set", "Bad Name"}, "x\n", 1, "invalid credential name"},
		{[]string{"creds", "set", "edc.token"}, "", 1, "empty secret"},
		{[]string{"creds", "set"}, "", 2, "usage: trialsync creds set NAME"},
		{[]string{"creds", "delete", "rave.password"}, "", 0, "credential rave.password deleted"},
		{[]string{"creds", "delete", "rave.password"}, "", 1, "credential rave.password not set"},
		{[]string{"creds", "list"}, "", 0, "sureadhere.token\n"},
	}
	for _, s := range steps {
		r := cli(t, s.stdin, append([]string{"--store", path}, s.args...)...)
		if r.code != s.code || !strings.Contains(r.stderr, s.stderr) {
			t.Fatalf("%v: exit %d, stderr %q; want %d containing %q", s.args, r.code, r.stderr, s.code, s.stderr)
		}
	}
	r := cli(t, "", "--store", path, "audit", "list", "--format", "jsonl")
	for _, want := range []string{`"action":"creds.set","object":"rave.password"`, `"action":"creds.delete","object":"rave.password"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("audit lacks %s", want)
		}
	}
}

// TestNoSecretService: with no D-Bus session to reach, a command that needs the keyring says so and
// how to start one, and nothing falls back to a file.
func TestNoSecretService(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childModeEnv+"=cli",
		childArgsEnv+"="+strings.Join([]string{"--store", filepath.Join(dir, "s.db"), "creds", "set", "rave.password"}, "\x1f"),
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(dir, "no-bus"), "TRIALSYNC_LOG_DIR="+filepath.Join(dir, "logs"))
	cmd.Stdin = strings.NewReader("never-stored\n")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, output %q", err, out)
	}
	msg := string(out)
	if !strings.HasPrefix(msg, "trialsync: ") || strings.Count(strings.TrimSpace(msg), "\n") != 0 ||
		!strings.Contains(msg, "OS keyring unavailable") || !strings.Contains(msg, "Secret Service") {
		t.Fatalf("message %q", msg)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "s.db") {
			t.Fatalf("a store file %s was created without a keyring", e.Name())
		}
	}
}
