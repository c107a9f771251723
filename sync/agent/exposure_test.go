package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trialsync/trialsync/sync/exposure"
	"github.com/trialsync/trialsync/sync/outbox"
	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

// exposureConfig configures the Rave client for s and the exposure queue, with the intake on addr
// ("" for none).
func exposureConfig(s *simrws.Server, addr string) string {
	c := raveConfig(s.URL()) + `
[exposure]
study_oid = "ALPHA(Prod)"
study_event = "SM"
drugs = { "Isoniazid" = "EX_INH", "Rifapentine" = "EX_RPT" }
max_attempts = 3
`
	if addr != "" {
		c += fmt.Sprintf("intake_addr = %q\n", addr)
	}
	return c
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

const doseLine = `{"subject":"101-001","site":"101","drug":"Isoniazid","start_date":"2025-03-03","start_time":"08:30","tablets_prescribed":"2","tablets_taken":"2","mode":"Video","with_food":"Yes"}`

func post(t *testing.T, addr, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+addr+"/v1/exposures", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestIntakeThroughTheAgent runs the agent's exposure intake and send services against the RWS
// simulator: a wrong token and an oversize body are refused, a mixed body queues its good record, and
// the send service delivers it to Rave; the snapshot counts the queue.
func TestIntakeThroughTheAgent(t *testing.T) {
	s := startRWS(t, simrws.Options{})
	addr := freeAddr(t)
	a := openAgent(t, exposureConfig(s, addr), nil)
	for name, secret := range map[string]string{"rave.password": "sim-password", IntakeCredential: "intake-secret-4f9a"} {
		if err := a.SetCredential(t.Context(), name, secret); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, StartOptions{Engines: []string{EngineSend, EngineExposure}}) }()
	waitState(t, a, "the intake service running", func(s Snapshot) bool {
		for _, st := range s.ServicesOf(EngineExposure) {
			return st.Running
		}
		return false
	})
	waitListening(t, addr) // the service runs a moment before its listener is bound

	if st, _ := post(t, addr, "wrong", doseLine); st != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", st)
	}
	if st, _ := post(t, addr, "", doseLine); st != http.StatusUnauthorized {
		t.Errorf("no token: %d", st)
	}
	if st, _ := post(t, addr, "intake-secret-4f9a", strings.Repeat(doseLine+"\n", 6000)); st != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over 1 MiB: %d", st)
	}
	bad := strings.Replace(doseLine, `"2025-03-03"`, `"03/03/2025"`, 1)
	st, body := post(t, addr, "intake-secret-4f9a", bad+"\n"+doseLine+"\n")
	var ans struct {
		Imported int
		Rejected []struct {
			Line   int
			Reason string
		}
	}
	if err := json.Unmarshal([]byte(body), &ans); st != http.StatusOK || err != nil || ans.Imported != 1 || len(ans.Rejected) != 1 ||
		ans.Rejected[0].Line != 1 || !strings.Contains(ans.Rejected[0].Reason, "start date") {
		t.Fatalf("mixed body: %d %s", st, body)
	}

	snap := waitState(t, a, "the dose delivered", func(s Snapshot) bool {
		for _, st := range s.ServicesOf(EngineSend) {
			c := queueOf(st)
			return c["done"] == 1 && c["pending"] == 0
		}
		return false
	})
	if lines := s.LogLines("101-001", "EX_INH"); len(lines) != 1 || lines[0].Items["EX_INH.EXNUM"] != "2" {
		t.Fatalf("Rave holds %+v", lines)
	}
	send := snap.ServicesOf(EngineSend)[0]
	if send.Remote != RemoteRave || send.Subject != outbox.KindExposure {
		t.Errorf("send service %+v", send)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func queueOf(st ServiceState) map[string]int {
	m := map[string]int{}
	for _, f := range st.Queue {
		m[f.Name] = f.Value
	}
	return m
}

// TestIntakeRefusesANonLoopbackAddress: the configuration is refused before anything starts.
func TestIntakeRefusesANonLoopbackAddress(t *testing.T) {
	s := startRWS(t, simrws.Options{})
	a := openAgent(t, exposureConfig(s, "0.0.0.0:8377"), nil)
	err := a.Start(t.Context(), StartOptions{})
	if err == nil || !strings.Contains(err.Error(), "config.toml:") || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("Start: %v, want the configuration refused with its line", err)
	}
}

// TestSendOnceAndTheQueueCommands: `send --once` through the agent, a wrong drug's dead letter in
// the counts, retry and discard by a person, and the missing credential stopping Send before it runs.
func TestSendOnceAndTheQueueCommands(t *testing.T) {
	s := startRWS(t, simrws.Options{Arms: []string{"Arm A", "Arm B"}, ArmOf: map[string]string{"101-001": "Arm B"},
		ArmForms: map[string][]string{"Arm A": {"EX_INH", "EX_RPT"}, "Arm B": {"EX_INH"}}})
	a := openAgent(t, exposureConfig(s, ""), nil)
	file := filepath.Join(t.TempDir(), "doses.csv")
	csv := "subject,site,drug,start_date,start_time,tablets_prescribed,tablets_taken,mode,with_food\n" +
		"101-001,101,Isoniazid,2025-03-03,08:30,2,2,Video,Yes\n" +
		"101-001,101,Rifapentine,2025-03-03,08:30,2,2,Video,Yes\n" +
		"101-002,101,Aspirin,2025-03-03,08:30,2,2,Video,Yes\n"
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	var rejected []string
	res, err := a.ImportExposures(t.Context(), file, func(e exposure.Entry) { rejected = append(rejected, e.Rejection(file)) })
	if err != nil || res.Imported != 2 || res.Rejected != 1 || len(rejected) != 1 || !strings.HasPrefix(rejected[0], file+":4: drug") {
		t.Fatalf("import: %+v %v %v", res, rejected, err)
	}

	if _, err := a.Send(t.Context()); err == nil || !strings.Contains(err.Error(), "credential rave.password not set (trialsync creds set rave.password)") {
		t.Fatalf("Send without the password: %v", err)
	}
	if err := a.SetCredential(t.Context(), "rave.password", "sim-password"); err != nil {
		t.Fatal(err)
	}
	rep, err := a.Send(t.Context())
	if err != nil || rep.Sent != 1 || rep.Dead != 1 {
		t.Fatalf("Send: %+v %v", rep, err)
	}
	c, err := a.QueueCounts(t.Context())
	if err != nil || c.Done != 1 || c.Dead != 1 || c.Urgent != 1 {
		t.Fatalf("counts %+v %v", c, err)
	}
	dead, err := a.Messages(t.Context(), outbox.Filter{State: outbox.Dead})
	if err != nil || len(dead) != 1 || dead[0].ReasonCode != "RWS00033" {
		t.Fatalf("dead messages %+v %v", dead, err)
	}
	if _, err := a.RetryMessage(t.Context(), 999); err == nil || !strings.Contains(err.Error(), "no such outbound message") {
		t.Errorf("retry of a missing message: %v", err)
	}
	if _, err := a.DiscardMessage(t.Context(), dead[0].ID, "the patient is on Arm B: dose recorded in error"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.RetryMessage(t.Context(), dead[0].ID); err == nil || !strings.Contains(err.Error(), "only a dead message can be retried") {
		t.Errorf("retry of a discarded message: %v", err)
	}
	entries, err := a.AuditEntries(t.Context(), 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	last := entries[len(entries)-1]
	if last.Action != "outbox.discard" || last.Actor != a.actor || !strings.Contains(last.Reason, "Arm B") {
		t.Errorf("last entry %+v, want the discard by the person with the reason", last)
	}
}

// waitListening waits until something accepts connections at addr.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(testWait)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens at %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
