package exposure

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
)

const testToken = "s3cret-intake-token-0123456789"

// fakeQueue is a Queue that keeps what it is given, or fails.
type fakeQueue struct {
	mu      sync.Mutex
	calls   int
	recs    []Record
	sources []string
	err     error
}

func (q *fakeQueue) Import(ctx context.Context, recs []Record, source string) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.calls++
	if q.err != nil {
		return 0, q.err
	}
	q.recs = append(q.recs, recs...)
	q.sources = append(q.sources, source)
	return len(recs), nil
}

// startIntake serves an Intake on a real loopback listener.
func startIntake(t *testing.T, q Queue) string {
	t.Helper()
	h, err := NewIntake(testToken, testRules, q)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := ListenLoopback(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

func doseJSON(subject, taken string) string {
	b, _ := json.Marshal(Input{Subject: subject, Site: "101", Drug: "Isoniazid", StartDate: "2024-11-03",
		StartTime: "08:30", Prescribed: "2", Taken: taken, Mode: "Video", WithFood: "Yes"})
	return string(b)
}

func TestIntake(t *testing.T) {
	good := doseJSON("101-001", "2")
	pretty, _ := json.MarshalIndent(json.RawMessage(good), "", "  ")
	mixed := doseJSON("101-001", "2") + "\n" + doseJSON("101-002", "-1") + "\n\n" + doseJSON("101-003", "0") +
		"\n" + `{"subject":"101-004"}` + "\n" + "not json\n"
	tests := []struct {
		name       string
		method     string
		path       string
		auth       string
		ctype      string
		body       string
		status     int
		answer     *IntakeAnswer // for 200
		errPart    string        // for errors: a part of {"error": …}
		queued     []string      // subjects queued
		queueCalls int
	}{
		{name: "one object", body: good, status: 200,
			answer: &IntakeAnswer{Imported: 1, Rejected: []IntakeRejection{}}, queued: []string{"101-001"}, queueCalls: 1},
		{name: "one object over several lines", body: "\n" + string(pretty) + "\n", status: 200,
			answer: &IntakeAnswer{Imported: 1, Rejected: []IntakeRejection{}}, queued: []string{"101-001"}, queueCalls: 1},
		{name: "JSON Lines with a BOM and no content type", ctype: "-", body: "\ufeff" + good + "\n" + doseJSON("101-002", "0"), status: 200,
			answer: &IntakeAnswer{Imported: 2, Rejected: []IntakeRejection{}}, queued: []string{"101-001", "101-002"}, queueCalls: 1},
		{name: "mixed good and bad: the good ones are queued", body: mixed, status: 200,
			answer: &IntakeAnswer{Imported: 2, Rejected: []IntakeRejection{
				{Line: 2, Reason: `tablets taken "-1" is not a number of tablets (for example 2 or 1.5)`},
				{Line: 5, Reason: "missing field(s) site, drug, start_date, start_time, tablets_prescribed, tablets_taken, mode, with_food"},
				{Line: 6, Reason: "the line is not a JSON object (expected {\"subject\": …})"},
			}}, queued: []string{"101-001", "101-003"}, queueCalls: 1},
		{name: "every record bad: nothing to queue", body: doseJSON("101-009", "x"), status: 200,
			answer: &IntakeAnswer{Imported: 0, Rejected: []IntakeRejection{{Line: 1, Reason: `tablets taken "x" is not a number of tablets (for example 2 or 1.5)`}}}},
		{name: "no token", auth: "-", body: good, status: 401, errPart: "bearer token is required"},
		{name: "wrong token", auth: "Bearer nope", body: good, status: 401, errPart: "bearer token is required"},
		{name: "token prefix", auth: "Bearer " + testToken[:10], body: good, status: 401, errPart: "bearer token"},
		{name: "token with extra", auth: "Bearer " + testToken + "x", body: good, status: 401, errPart: "bearer token"},
		{name: "Basic scheme", auth: "Basic " + testToken, body: good, status: 401, errPart: "bearer token"},
		{name: "lower-case scheme", auth: "bearer " + testToken, body: good, status: 200,
			answer: &IntakeAnswer{Imported: 1, Rejected: []IntakeRejection{}}, queued: []string{"101-001"}, queueCalls: 1},
		{name: "bad token is refused before the size", auth: "Bearer nope", body: strings.Repeat("x", MaxIntakeBody+1), status: 401, errPart: "bearer"},
		{name: "over 1 MiB", body: good + "\n" + strings.Repeat(" ", MaxIntakeBody), status: 413, errPart: "larger than 1048576 bytes"},
		{name: "CSV content type", ctype: "text/csv", body: good, status: 415, errPart: "send JSON"},
		{name: "form-encoded content type", ctype: "application/x-www-form-urlencoded", body: good, status: 415, errPart: "Content-Type: application/json"},
		{name: "CSV body", ctype: "-", body: strings.Join(Fields, ",") + "\n", status: 415, errPart: "not JSON"},
		{name: "an array", body: "[" + good + "]", status: 400, errPart: "not an array"},
		{name: "empty body", body: "  \n", status: 400, errPart: "the body is empty"},
		{name: "GET", method: http.MethodGet, status: 405},
		{name: "other path", path: "/v1/other", body: good, status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &fakeQueue{}
			url := startIntake(t, q)
			method, path := http.MethodPost, IntakePath
			if tt.method != "" {
				method = tt.method
			}
			if tt.path != "" {
				path = tt.path
			}
			req, err := http.NewRequestWithContext(t.Context(), method, url+path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			switch tt.auth {
			case "":
				req.Header.Set("Authorization", "Bearer "+testToken)
			case "-":
			default:
				req.Header.Set("Authorization", tt.auth)
			}
			switch tt.ctype {
			case "":
				req.Header.Set("Content-Type", "application/x-ndjson")
			case "-":
			default:
				req.Header.Set("Content-Type", tt.ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, raw)
			}
			if bytes.Contains(raw, []byte(testToken)) || bytes.Contains(raw, []byte(testToken[:10])) {
				t.Fatalf("the answer repeats the token: %s", raw)
			}
			if tt.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if tt.answer != nil {
				var ans IntakeAnswer
				if err := json.Unmarshal(raw, &ans); err != nil {
					t.Fatalf("%v: %s", err, raw)
				}
				if !reflect.DeepEqual(ans, *tt.answer) {
					t.Fatalf("answer\n got %+v\nwant %+v", ans, *tt.answer)
				}
				if !bytes.Contains(raw, []byte(`"rejected":[`)) {
					t.Errorf("rejected must be a list, even empty: %s", raw)
				}
			}
			if tt.errPart != "" {
				var e struct{ Error string }
				if err := json.Unmarshal(raw, &e); err != nil || !strings.Contains(e.Error, tt.errPart) {
					t.Fatalf("error answer %s does not say %q", raw, tt.errPart)
				}
			}
			var queued []string
			for _, r := range q.recs {
				queued = append(queued, r.Subject)
			}
			if !reflect.DeepEqual(queued, tt.queued) || q.calls != tt.queueCalls {
				t.Fatalf("queued %v in %d calls, want %v in %d", queued, q.calls, tt.queued, tt.queueCalls)
			}
			for _, s := range q.sources {
				if s != IntakeSource {
					t.Errorf("source %q", s)
				}
			}
		})
	}
}

// TestIntakeChunkedOversize: a body over 1 MiB without a Content-Length is cut at the limit, not read whole.
func TestIntakeChunkedOversize(t *testing.T) {
	q := &fakeQueue{}
	url := startIntake(t, q)
	pr, pw := io.Pipe()
	go func() {
		chunk := bytes.Repeat([]byte(" "), 64<<10)
		for range 64 { // 4 MiB, far past the limit
			if _, err := pw.Write(chunk); err != nil {
				return
			}
		}
		pw.Close()
	}()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, url+IntakePath, pr)
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	pr.CloseWithError(errors.New("done"))
	if resp.StatusCode != http.StatusRequestEntityTooLarge || q.calls != 0 {
		t.Fatalf("status %d, %d queue calls", resp.StatusCode, q.calls)
	}
}

// TestIntakeExactlyOneMiB: a body of exactly the limit is read.
func TestIntakeExactlyOneMiB(t *testing.T) {
	q := &fakeQueue{}
	url := startIntake(t, q)
	var body strings.Builder
	n := 0
	for body.Len() < MaxIntakeBody-300 {
		body.WriteString(doseJSON("101-001", "2") + "\n")
		n++
	}
	body.WriteString(strings.Repeat("\n", MaxIntakeBody-body.Len()))
	if body.Len() != MaxIntakeBody {
		t.Fatalf("body of %d bytes", body.Len())
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, url+IntakePath, strings.NewReader(body.String()))
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans IntakeAnswer
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || resp.StatusCode != 200 || ans.Imported != n {
		t.Fatalf("status %d, %+v (%v), want %d imported", resp.StatusCode, ans, err, n)
	}
}

func TestIntakeQueueFailure(t *testing.T) {
	q := &fakeQueue{err: errors.New("store is closed")}
	url := startIntake(t, q)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, url+IntakePath, strings.NewReader(doseJSON("101-001", "2")))
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(raw), "none was: store is closed") {
		t.Fatalf("status %d: %s", resp.StatusCode, raw)
	}
}

func TestNewIntakeNeedsAToken(t *testing.T) {
	if _, err := NewIntake("", testRules, &fakeQueue{}); !errors.Is(err, ErrNoToken) {
		t.Fatalf("err %v", err)
	}
}

func TestCheckLoopback(t *testing.T) {
	tests := []struct {
		addr string
		want string // "" accepted, else a part of the error
	}{
		{"127.0.0.1:8377", ""},
		{"127.1.2.3:8377", ""},
		{"[::1]:8377", ""},
		{"localhost:8377", ""},
		{"0.0.0.0:8377", "is not a loopback address"},
		{":8377", "is not a loopback address"},
		{"[::]:8377", "is not a loopback address"},
		{"192.168.1.5:8377", "is not a loopback address"},
		{"intake.example.org:8377", "is not a loopback address"},
		{"127.0.0.1", "must be host:port"},
		{"127.0.0.1:http", "the port must be a number"},
		{"127.0.0.1:70000", "the port must be a number"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			err := CheckLoopback(tt.addr)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.addr) {
				t.Fatalf("error %v, want one naming %q and saying %q", err, tt.addr, tt.want)
			}
		})
	}
}

func TestListenLoopback(t *testing.T) {
	if ln, err := ListenLoopback(t.Context(), "0.0.0.0:0"); err == nil {
		ln.Close()
		t.Fatal("listened on every interface")
	}
	ln, err := ListenLoopback(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if !ln.Addr().(*net.TCPAddr).IP.IsLoopback() {
		t.Fatalf("bound to %s", ln.Addr())
	}
	// The port is taken: a second listener says so.
	if _, err := ListenLoopback(t.Context(), ln.Addr().String()); err == nil || !strings.Contains(err.Error(), "listening on") {
		t.Fatalf("second listener: %v", err)
	}
}
