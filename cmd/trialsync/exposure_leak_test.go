package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

// TestExposureSecretsNeverLeak follows TestSecretsNeverLeak for the exposure path: with a known RWS
// password and intake token it runs the send service with the intake (posting doses with the right and
// a wrong token), send --once, exposure import and the queue commands, at debug log level too, then
// searches the store, the logs and every output for either secret in the forms a leak would take.
func TestExposureSecretsNeverLeak(t *testing.T) {
	needKeyring(t)
	_, logDir := isolate(t)
	secrets := map[string]string{
		"rave.password": "Ex-Pa55/w0rd+odd=chars&more",
		"intake.token":  "intake_7c1e9d2b4a6f8e0d3c5b",
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s, cfg := sendSetup(t, simrws.Options{Password: secrets["rave.password"]}, fmt.Sprintf("intake_addr = %q\n", addr))
	storePath := filepath.Join(t.TempDir(), "trialsync.db")
	g := []string{"--store", storePath, "--config", cfg}
	var captured bytes.Buffer
	runAll := func(stdin string, args ...string) result {
		r := cli(t, stdin, append(append([]string{}, g...), args...)...)
		captured.WriteString(r.stdout)
		captured.WriteString(r.stderr)
		return r
	}
	for name, v := range secrets {
		if r := runAll(v+"\n", "--log-level", "debug", "creds", "set", name); r.code != 0 {
			t.Fatalf("creds set %s: %s", name, r.stderr)
		}
	}

	// The service with its intake, in-process until cancelled.
	ctx, cancel := context.WithCancel(t.Context())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append(append([]string{}, g...), "--log-level", "debug", "send"), strings.NewReader(""), &out, &errb)
	}()
	postDose := func(token, body string) int {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+addr+"/v1/exposures", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	dose := `{"subject":"101-001","site":"101","drug":"Isoniazid","start_date":"2025-03-03","start_time":"","tablets_prescribed":"2","tablets_taken":"2","mode":"","with_food":""}`
	deadline := time.Now().Add(30 * time.Second)
	for postDose(secrets["intake.token"], dose) != http.StatusOK {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("the intake never answered 200; service output:\n%s", errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st := postDose("wrong-"+secrets["intake.token"], dose); st != http.StatusUnauthorized {
		t.Errorf("a wrong token: %d", st)
	}
	for len(s.LogLines("101-001", "EX_INH")) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if len(s.LogLines("101-001", "EX_INH")) == 0 {
		t.Fatal("the service never delivered the dose: the password was not used")
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("send service: exit %d: %s", code, errb.String())
	}
	captured.WriteString(out.String())
	captured.WriteString(errb.String())

	file := writeFile(t, "d.csv", doseHeader+"101-002,101,Isoniazid,2025-03-03,,2,2,,\n101-002,101,Aspirin,2025-03-03,,2,2,,\n")
	for _, c := range [][]string{
		{"exposure", "import", file}, {"send", "--once"}, {"queue", "list"}, {"queue", "list", "--format", "jsonl"},
		{"queue", "retry", "1"}, {"queue", "discard", "1", "--reason", "leak test"}, {"audit", "list", "--format", "jsonl"},
	} {
		runAll("", c...)
		runAll("", append([]string{"--log-level", "debug"}, c...)...)
	}
	// A refused password: RWS answers with an error naming the login, and still no secret appears.
	runAll("wrong-"+secrets["rave.password"]+"\n", "creds", "set", "rave.password")
	secrets["wrong rave.password"] = "wrong-" + secrets["rave.password"]
	runAll("", "exposure", "import", writeFile(t, "e.csv", doseHeader+"101-003,101,Isoniazid,2025-03-03,,2,2,,\n"))
	if r := runAll("", "--log-level", "debug", "send", "--once"); r.code != 1 || !strings.Contains(r.stderr, "rejected") {
		t.Fatalf("send with a wrong password: %d %q", r.code, r.stderr)
	}

	assertNoLeak(t, captured.Bytes(), []string{storePath}, logDir, secrets)
}
