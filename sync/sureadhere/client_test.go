package sureadhere

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trialsync/trialsync/sync/remote"
	"github.com/trialsync/trialsync/sync/sim/simtest"
	simsureadhere "github.com/trialsync/trialsync/sync/sim/sureadhere"
)

const simToken = "sim-sureadhere-token"

// startSim starts a SureAdhere simulator with opts for the test.
func startSim(t *testing.T, opts simsureadhere.Options) *simsureadhere.Server {
	return simtest.Start(t, simsureadhere.Start, opts)
}

// retries records the client's retry decisions.
type retries struct {
	mu  sync.Mutex
	evs []remote.RetryEvent
}

func (r *retries) on(ev remote.RetryEvent) {
	r.mu.Lock()
	r.evs = append(r.evs, ev)
	r.mu.Unlock()
}

func (r *retries) all() []remote.RetryEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]remote.RetryEvent(nil), r.evs...)
}

// newTestClient is a client for url with token, short backoffs, and its retries recorded.
func newTestClient(t *testing.T, url, token string) (*Client, *retries) {
	t.Helper()
	r := &retries{}
	c, err := New(Config{BaseURL: url, Retry: remote.RetryPolicy{InitialInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond},
		RequestsPerSecond: 1000, Burst: 100, ProbeEvery: 20 * time.Millisecond, OnRetry: r.on}, token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, r
}

// TestIngestAnswers: each answer of the ingest endpoint, from the simulator, read as the integration
// must read it.
func TestIngestAnswers(t *testing.T) {
	cases := []struct {
		name    string
		token   string
		faults  string
		patient Patient
		check   func(t *testing.T, ack Ack, err error, sim *simsureadhere.Server, r *retries)
	}{
		{"201 created", simToken, "", Patient{"101-002", "Group 1", "101"}, func(t *testing.T, ack Ack, err error, sim *simsureadhere.Server, _ *retries) {
			if err != nil || ack.Status != 201 || !ack.Created() || ack.ID != 2 {
				t.Fatalf("ack %+v, err %v", ack, err)
			}
			if p, ok := sim.Patient("ALPHA", "101-002"); !ok || p.Regimen != "Group 1" || p.SiteCode != "101" {
				t.Fatalf("SureAdhere holds %+v (%v)", p, ok)
			}
		}},
		{"409 already there is an acknowledgement", simToken, "", Patient{"101-001", "Group 2", "101"}, func(t *testing.T, ack Ack, err error, sim *simsureadhere.Server, _ *retries) {
			if err != nil || ack.Status != 409 || ack.Created() || !strings.Contains(ack.Detail, "already exists") {
				t.Fatalf("ack %+v, err %v", ack, err)
			}
			if p, _ := sim.Patient("ALPHA", "101-001"); p.Regimen != "Group 1" {
				t.Fatalf("the duplicate changed the patient: %+v", p)
			}
		}},
		{"400 bad body, field by field", simToken, "", Patient{"101-0002", "Group 3", "101"}, func(t *testing.T, ack Ack, err error, sim *simsureadhere.Server, r *retries) {
			var e *remote.Error
			if !errors.As(err, &e) || e.Status != 400 || e.Retryable || remote.IsFatal(err) {
				t.Fatalf("err %v (%T)", err, err)
			}
			want := []FieldProblem{{"mrn", `MRN "101-0002" is not of the form SITE-NNN (e.g. 101-001).`}, {"regimen", `"Group 3" is not a valid choice.`}}
			if got := FieldProblems(err); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
				t.Fatalf("field problems %q", got)
			}
			if !strings.Contains(err.Error(), `regimen: "Group 3" is not a valid choice.`) {
				t.Fatalf("the error does not say why: %v", err)
			}
			if n := len(r.all()); n != 0 {
				t.Fatalf("a refused body was retried %d times", n)
			}
		}},
		{"400 bad token is a fatal credential refusal", "not-the-token", "", Patient{"101-002", "Group 1", "101"}, func(t *testing.T, ack Ack, err error, sim *simsureadhere.Server, r *retries) {
			var te *TokenError
			if !errors.As(err, &te) || !remote.IsFatal(err) || !errors.Is(err, remote.ErrCredentialRejected) {
				t.Fatalf("err %v (%T)", err, err)
			}
			if !strings.Contains(err.Error(), "Invalid MRNIntegrationToken.") || !strings.Contains(err.Error(), "sureadhere.token") {
				t.Fatalf("the error does not say which credential: %v", err)
			}
			if strings.Contains(err.Error(), "not-the-token") {
				t.Fatal("the error shows the token")
			}
			if n := len(r.all()); n != 0 || sim.Count("400") != 1 {
				t.Fatalf("a refused token was retried (%d retries, %d answers)", n, sim.Count("400"))
			}
		}},
		{"503 burst is retried", simToken, "503burst:3@1", Patient{"101-002", "Group 1", "101"}, func(t *testing.T, ack Ack, err error, sim *simsureadhere.Server, r *retries) {
			if err != nil || ack.Status != 201 {
				t.Fatalf("ack %+v, err %v", ack, err)
			}
			if n := len(r.all()); n != 3 || !errors.Is(r.all()[0].Err, remote.ErrUnavailable) {
				t.Fatalf("%d retries %v, want 3 after 503s", n, r.all())
			}
		}},
		{"lost answer: the retry meets 409", simToken, "drop:1", Patient{"101-002", "Group 1", "101"}, func(t *testing.T, ack Ack, err error, sim *simsureadhere.Server, r *retries) {
			// The patient was created, its answer cut: Ingest reports a retryable failure (a POST is not
			// resent blindly), and the next Ingest of the same MRN is acknowledged with 409.
			if err == nil || !remote.Retryable(err) || remote.IsFatal(err) {
				t.Fatalf("ack %+v, err %v (retryable %v)", ack, err, remote.Retryable(err))
			}
			if _, ok := sim.Patient("ALPHA", "101-002"); !ok {
				t.Fatal("the patient was not created")
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim := startSim(t, simsureadhere.Options{Faults: tc.faults, Rate: -1})
			if tc.faults == "" {
				seedPatient(t, sim) // a fault would meet the seeding request
			}
			c, r := newTestClient(t, sim.URL(), tc.token)
			ack, err := c.Ingest(t.Context(), tc.patient)
			tc.check(t, ack, err, sim, r)
		})
	}
}

// seedPatient registers 101-001 (Group 1) directly, as an earlier integration would have.
func seedPatient(t *testing.T, sim *simsureadhere.Server) {
	t.Helper()
	c, err := New(Config{BaseURL: sim.URL()}, simToken)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ack, err := c.Ingest(t.Context(), Patient{"101-001", "Group 1", "101"}); err != nil || ack.Status != 201 {
		t.Fatalf("seeding 101-001: %+v %v", ack, err)
	}
}

// TestIngestThrottled: a 429 with Retry-After is waited out, for the time SureAdhere asked, and the
// patient is then registered.
func TestIngestThrottled(t *testing.T) {
	sim := startSim(t, simsureadhere.Options{Rate: 1, Burst: 1})
	c, r := newTestClient(t, sim.URL(), simToken)
	for _, mrn := range []string{"101-001", "101-002"} {
		if ack, err := c.Ingest(t.Context(), Patient{mrn, "Group 1", "101"}); err != nil || ack.Status != 201 {
			t.Fatalf("%s: %+v %v", mrn, ack, err)
		}
	}
	evs := r.all()
	if len(evs) == 0 || sim.Count("throttled") == 0 {
		t.Fatalf("the second ingest was not throttled (%d retries, %d throttled)", len(evs), sim.Count("throttled"))
	}
	for _, ev := range evs {
		if !errors.Is(ev.Err, remote.ErrRateLimited) || ev.Wait != time.Second {
			t.Fatalf("retry %+v: want a 429 waited out for its Retry-After of 1 s", ev)
		}
	}
	if got := len(sim.Patients()); got != 2 {
		t.Fatalf("%d patients registered, want 2", got)
	}
}

// TestIngestOffline: nothing listening is an offline remote at once (no attempt spent), and its Ready
// closes when SureAdhere answers again at the same address.
func TestIngestOffline(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, r := newTestClient(t, "http://"+addr, simToken)
	_, err = c.Ingest(t.Context(), Patient{"101-001", "Group 1", "101"})
	var off *remote.OfflineError
	if !errors.As(err, &off) || len(r.all()) != 0 {
		t.Fatalf("err %v (%T), %d retries", err, err, len(r.all()))
	}
	sim, err := simsureadhere.Start(addr, simsureadhere.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	select {
	case <-off.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("Ready never closed after SureAdhere came back")
	}
	if ack, err := c.Ingest(t.Context(), Patient{"101-001", "Group 1", "101"}); err != nil || ack.Status != 201 {
		t.Fatalf("after the return: %+v %v", ack, err)
	}
}

// TestReadErrorBody: the hook's reading of answers the simulator does not give: other statuses,
// other shapes, hostile text.
func TestReadErrorBody(t *testing.T) {
	cases := []struct {
		name        string
		status      int
		body        string
		code, msg   string
		final       bool
		fieldsCount int
	}{
		{"token detail", 400, `{"detail":"Invalid MRNIntegrationToken."}`, codeInvalidToken, "Invalid MRNIntegrationToken.", true, 0},
		{"missing token", 400, `{"detail":"MRNIntegrationToken header missing"}`, codeInvalidToken, "MRNIntegrationToken header missing", true, 0},
		{"parse error naming a token", 400, `{"detail":"JSON parse error - unexpected token at 1"}`, "", "JSON parse error - unexpected token at 1", false, 0},
		{"403 permission", 403, `{"detail":"You do not have permission to perform this action."}`, codeInvalidToken, "You do not have permission to perform this action.", true, 0},
		{"fields", 400, `{"site_code":["Site code \"9\" does not exist in this workspace."],"mrn":"Bad."}`, codeInvalidBody,
			`mrn: Bad.; site_code: Site code "9" does not exist in this workspace.`, false, 2},
		{"throttled", 429, `{"detail":"Request was throttled. Expected available in 3 seconds."}`, "", "Request was throttled. Expected available in 3 seconds.", false, 0},
		{"html page", 503, "<html><head><title>503 Service Temporarily Unavailable</title></head></html>", "", "503 Service Temporarily Unavailable", false, 0},
		{"empty", 502, "", "", "", false, 0},
		{"escape sequences", 400, `{"regimen":["\u001b[31mred\u001b[0m\nforged line"]}`, codeInvalidBody, "regimen: red forged line", false, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := readErrorBody(tc.status, http.Header{}, []byte(tc.body))
			msg := remote.Clean(p.Message)
			if p.Code != tc.code || msg != tc.msg || p.Final != tc.final {
				t.Fatalf("got code %q msg %q final %v", p.Code, msg, p.Final)
			}
			fp, _ := p.Detail.([]FieldProblem)
			if len(fp) != tc.fieldsCount {
				t.Fatalf("field problems %q", fp)
			}
		})
	}
}

// TestNewWithoutToken: an empty token is refused before anything is sent, as a fatal token error.
func TestNewWithoutToken(t *testing.T) {
	_, err := New(Config{BaseURL: "http://127.0.0.1:1"}, "")
	if !remote.IsFatal(err) || !errors.Is(err, remote.ErrCredentialRejected) {
		t.Fatalf("err %v", err)
	}
}
