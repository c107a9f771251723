package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trialsync/trialsync/store"
	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

// TestSecretsNeverLeak sets known secrets, runs every command (at debug log level too), then searches
// the store file, the log files, exported files and all captured output for them, in the forms a leak
// would take (raw, base64, URL-encoded): zero hits.
func TestSecretsNeverLeak(t *testing.T) {
	needKeyring(t)
	service, logDir := isolate(t)
	dir := t.TempDir()
	storePath := filepath.Join(dir, "trialsync.db")
	secrets := map[string]string{
		"rave.password":    "Pa55-w0rd/with+odd=chars&more",
		"sureadhere.token": "tok_9f8e7d6c5b4a39281706",
	}
	// A Rave simulator that accepts this password, so that pull sends it (in a Basic header) for real.
	_, cfgPath := pullSetup(t, simrws.Options{Seed: 3, Password: secrets["rave.password"], SubjectsPerSite: 2, Visits: 1})
	var captured bytes.Buffer
	runAll := func(stdin string, args ...string) result {
		r := cli(t, stdin, append([]string{"--store", storePath, "--config", cfgPath}, args...)...)
		captured.WriteString(r.stdout)
		captured.WriteString(r.stderr)
		return r
	}
	for name, s := range secrets {
		if r := runAll(s+"\n", "--log-level", "debug", "creds", "set", name); r.code != 0 {
			t.Fatalf("creds set %s: %d %q", name, r.code, r.stderr)
		}
	}
	// Setting the same secret again logs the old and new fingerprints.
	runAll(secrets["rave.password"]+"\n", "--log-level", "debug", "creds", "set", "rave.password")
	export := filepath.Join(dir, "audit.jsonl")
	commands := [][]string{
		{"version"}, {"status"}, {"creds", "list"}, {"config", "check"},
		{"audit", "verify"}, {"audit", "list"}, {"audit", "list", "--format", "jsonl"},
		{"audit", "export", "--out", export},
		{"export", "clinical"}, {"export", "clinical", "--format", "csv"},
		{"quarantine", "list"}, {"quarantine", "list", "--format", "jsonl"},
		{"creds", "set", "Bad Name"}, // an error path
		{"pull", "--once"}, {"export", "clinical"},
	}
	for _, c := range commands {
		runAll(secrets["rave.password"]+"\n", c...)
		runAll(secrets["rave.password"]+"\n", append([]string{"--log-level", "debug"}, c...)...)
	}
	runAll("", "creds", "delete", "sureadhere.token")

	// Control: the secrets really went through (the keyring holds them, the audit names their fingerprints).
	kr := store.NewSystemKeyring(service, nil)
	if v, err := kr.Get("rave.password"); err != nil || v != secrets["rave.password"] {
		t.Fatalf("keyring lost the secret: %v", err)
	}
	db, err := store.Open(t.Context(), storePath, store.Options{Keyring: kr, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	fp := db.Fingerprint(secrets["rave.password"])
	db.Close()
	if fp == "" || !strings.Contains(captured.String(), fp) {
		t.Fatal("the audit listing does not show the credential's fingerprint: the commands did not run as expected")
	}
	if !strings.Contains(captured.String(), `"study":"ALPHA(Prod)"`) {
		t.Fatal("the pull stored nothing: the password was not used")
	}
	// A wrong password makes RWS answer with an error that names the login: still no secret.
	runAll("wrong-"+secrets["rave.password"]+"\n", "creds", "set", "rave.password")
	secrets["wrong rave.password"] = "wrong-" + secrets["rave.password"]
	if r := runAll("", "--log-level", "debug", "pull", "--once"); r.code != 1 || !strings.Contains(r.stderr, "RWS00008") {
		t.Fatalf("pull with a wrong password: %d %q", r.code, r.stderr)
	}

	assertNoLeak(t, captured.Bytes(), []string{storePath, export}, logDir, secrets)
}

// assertNoLeak searches the captured output, the files and every log file in logDir for each secret
// in the forms a leak would take (leakForms).
func assertNoLeak(t *testing.T, captured []byte, files []string, logDir string, secrets map[string]string) {
	t.Helper()
	haystacks := map[string][]byte{"captured output": captured}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		haystacks[p] = b
	}
	logs, _ := filepath.Glob(filepath.Join(logDir, "*"))
	if len(logs) == 0 {
		t.Fatal("no log files written")
	}
	for _, p := range logs {
		b, _ := os.ReadFile(p)
		haystacks[p] = b
	}
	for name, s := range secrets {
		for where, hay := range haystacks {
			for _, f := range leakForms(s) {
				if bytes.Contains(hay, []byte(f)) {
					t.Errorf("secret %s found in %s (as %q)", name, where, f)
				}
			}
		}
	}
}

// leakForms are the forms a leaked secret would take: raw, base64, in a Basic header's base64,
// URL-encoded, JSON-escaped.
func leakForms(s string) []string {
	js, _ := json.Marshal(s) // encoding/json writes & < > as \u0026 …
	return []string{s, base64.StdEncoding.EncodeToString([]byte(s)), url.QueryEscape(s),
		base64.StdEncoding.EncodeToString([]byte("rws.integration:" + s)), strings.Trim(string(js), `"`)}
}
