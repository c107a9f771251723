package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// call is one request of an idempotency scenario and what it must get.
type call struct {
	method, path string
	keys         []string // Idempotency-Key field lines; nil sends none
	body         string
	advance      time.Duration // move the clock before sending

	status int
	answer string // exact body, or for problems the title
	runs   int64  // handler runs so far, after this call
}

// TestIdempotency walks scenarios through a real server: a handler that creates something and says
// which run created it, behind an Idempotency store with a clock the test moves.
func TestIdempotency(t *testing.T) {
	created := func(run int) string { return `{"run":` + itoa(run) + `}` }
	post := func(keys []string, body string, status int, answer string, runs int64) call {
		return call{method: "POST", path: "/items", keys: keys, body: body, status: status, answer: answer, runs: runs}
	}
	k := func(v ...string) []string { return v }
	cases := []struct {
		name     string
		required bool
		calls    []call
	}{
		{"replay returns the first result", true, []call{
			post(k(`"a1"`), "x", 201, created(1), 1),
			post(k(`"a1"`), "x", 201, created(1), 1),
			post(k(`"a1"`), "x", 201, created(1), 1),
		}},
		{"quoted string and bare token name the same key", true, []call{
			post(k(`"a1"`), "x", 201, created(1), 1),
			post(k(`a1`), "x", 201, created(1), 1),
		}},
		{"escapes in a quoted key", true, []call{
			post(k(`"a\"b\\c"`), "x", 201, created(1), 1),
			post(k(`"a\"b\\c"`), "x", 201, created(1), 1),
			post(k(`"a\"b\\d"`), "x", 201, created(2), 2),
		}},
		{"different keys run separately", true, []call{
			post(k(`"a1"`), "x", 201, created(1), 1),
			post(k(`"a2"`), "x", 201, created(2), 2),
		}},
		{"same key, different body: 422", true, []call{
			post(k(`"a1"`), "x", 201, created(1), 1),
			post(k(`"a1"`), "y", 422, "Idempotency-Key is already used", 1),
			post(k(`"a1"`), "x", 201, created(1), 1),
		}},
		{"same key, different path: 422", true, []call{
			post(k(`"a1"`), "x", 201, created(1), 1),
			{method: "POST", path: "/items?site=101", keys: k(`"a1"`), body: "x", status: 422, answer: "Idempotency-Key is already used", runs: 1},
		}},
		{"same key, different method: 422", true, []call{
			post(k(`"a1"`), "x", 201, created(1), 1),
			{method: "PUT", path: "/items", keys: k(`"a1"`), body: "x", status: 422, answer: "Idempotency-Key is already used", runs: 1},
		}},
		{"missing key where required: 400", true, []call{
			post(nil, "x", 400, "Idempotency-Key is missing", 0),
		}},
		{"missing key where optional: runs every time", false, []call{
			post(nil, "x", 201, created(1), 1),
			post(nil, "x", 201, created(2), 2),
		}},
		{"invalid keys: 400", false, []call{
			post(k(`""`), "x", 400, "Idempotency-Key is not valid", 0),
			post(k(`"unterminated`), "x", 400, "Idempotency-Key is not valid", 0),
			post(k(`"bad\escape"`), "x", 400, "Idempotency-Key is not valid", 0),
			post(k(`"in"side"`), "x", 400, "Idempotency-Key is not valid", 0),
			post(k(`two words`), "x", 400, "Idempotency-Key is not valid", 0),
			post(k(`"a1"`, `"a2"`), "x", 400, "Idempotency-Key is not valid", 0),
			post(k(`"`+strings.Repeat("k", 256)+`"`), "x", 400, "Idempotency-Key is not valid", 0),
			post(k("\"caf\u00e9\""), "x", 400, "Idempotency-Key is not valid", 0),
			post(k(`"`+strings.Repeat("k", 255)+`"`), "x", 201, created(1), 1),
		}},
		{"errors are kept and replayed too", true, []call{
			post(k(`"e1"`), "fail", 500, "no room", 1),
			post(k(`"e1"`), "fail", 500, "no room", 1),
		}},
		{"a key is forgotten after its TTL", true, []call{
			post(k(`"a1"`), "x", 201, created(1), 1),
			{method: "POST", path: "/items", keys: k(`"a1"`), body: "x", advance: time.Hour - time.Second, status: 201, answer: created(1), runs: 1},
			{method: "POST", path: "/items", keys: k(`"a1"`), body: "y", advance: time.Second, status: 201, answer: created(2), runs: 2},
			post(k(`"a1"`), "x", 422, "Idempotency-Key is already used", 2),
		}},
		{"a panicking handler frees its key", true, []call{
			post(k(`"p1"`), "panic", 0, "", 1),
			post(k(`"p1"`), "x", 201, created(2), 2),
		}},
		{"a body over the limit: 413", true, []call{
			post(k(`"big"`), strings.Repeat("b", 1025), 413, "Request too large", 0),
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
			var runs atomic.Int64
			idem := NewIdempotency(IdempotencyOptions{TTL: time.Hour, Now: func() time.Time { return now }, MaxBody: 1024})
			s := listen(t, idem.Wrap(tc.required, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := runs.Add(1)
				b, _ := io.ReadAll(r.Body)
				switch string(b) {
				case "panic":
					panic(http.ErrAbortHandler)
				case "fail":
					http.Error(w, "no room", http.StatusInternalServerError)
					return
				}
				w.Header().Set("Location", "/items/"+itoa(int(n)))
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusCreated)
				_, _ = io.WriteString(w, created(int(n)))
			})))
			for i, c := range tc.calls {
				now = now.Add(c.advance)
				req, _ := http.NewRequestWithContext(t.Context(), c.method, s.URL()+c.path, strings.NewReader(c.body))
				for _, key := range c.keys {
					req.Header.Add(IdempotencyHeader, key)
				}
				resp, err := http.DefaultClient.Do(req)
				if c.status == 0 {
					if err == nil {
						resp.Body.Close()
						t.Fatalf("call %d: answered %s, want the connection cut", i, resp.Status)
					}
				} else {
					if err != nil {
						t.Fatalf("call %d: %v", i, err)
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					checkAnswer(t, i, c, resp, b)
				}
				if got := runs.Load(); got != c.runs {
					t.Fatalf("call %d: handler ran %d times, want %d", i, got, c.runs)
				}
			}
		})
	}
}

func checkAnswer(t *testing.T, i int, c call, resp *http.Response, b []byte) {
	t.Helper()
	if resp.StatusCode != c.status {
		t.Fatalf("call %d: status %d, want %d (%s)", i, resp.StatusCode, c.status, b)
	}
	switch {
	case resp.Header.Get("Content-Type") == "application/problem+json":
		var p Problem
		if err := json.Unmarshal(b, &p); err != nil || p.Title != c.answer || p.Status != c.status || p.Type == "" {
			t.Fatalf("call %d: problem %s (%v), want title %q", i, b, err, c.answer)
		}
	case strings.TrimSpace(string(b)) != c.answer:
		t.Fatalf("call %d: body %q, want %q", i, b, c.answer)
	case c.status == 201 && resp.Header.Get("Location") != "/items/"+strings.Trim(strings.TrimPrefix(c.answer, `{"run":`), "}"):
		t.Fatalf("call %d: Location %q does not belong to %s", i, resp.Header.Get("Location"), c.answer)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestIdempotencyInFlight: while the first request with a key runs, the same request gets 409 and a
// different one 422; once it completes, the same request gets its result, and the handler ran once.
func TestIdempotencyInFlight(t *testing.T) {
	var runs atomic.Int64
	entered, release := make(chan struct{}), make(chan struct{})
	counts := &Counts{}
	idem := NewIdempotency(IdempotencyOptions{Counts: counts})
	s := listen(t, idem.Wrap(true, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if runs.Add(1) == 1 {
			close(entered)
			<-release
		}
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "stored")
	})))
	send := func(body string) (int, string) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPut, s.URL()+"/v1/checklist-items/101/IRB", strings.NewReader(body))
		req.Header.Set(IdempotencyHeader, `"put-1"`)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	first := make(chan int, 1)
	go func() { st, _ := send("v1"); first <- st }()
	<-entered

	const racers = 8
	var wg sync.WaitGroup
	statuses := make([]int, racers)
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := "v1"
			if i%2 == 1 {
				body = "v2"
			}
			statuses[i], _ = send(body)
		}()
	}
	wg.Wait()
	for i, st := range statuses {
		want := http.StatusConflict
		if i%2 == 1 {
			want = http.StatusUnprocessableEntity
		}
		if st != want {
			t.Errorf("racer %d: status %d, want %d", i, st, want)
		}
	}
	close(release)
	if st := <-first; st != http.StatusOK {
		t.Fatalf("first request: %d", st)
	}
	if st, body := send("v1"); st != http.StatusOK || body != "stored" {
		t.Fatalf("replay after completion: %d %q", st, body)
	}
	if runs.Load() != 1 || counts.Get("idempotency409") != racers/2 || counts.Get("idempotency422") != racers/2 || counts.Get("replay") != 1 {
		t.Fatalf("runs %d, 409s %d, 422s %d, replays %d", runs.Load(), counts.Get("idempotency409"), counts.Get("idempotency422"), counts.Get("replay"))
	}
}

// TestIdempotencyAfterLostAnswer: the store sits inside the fault injector, so a request whose
// answer was dropped on the way has its result kept, and the retry gets it without a second run.
func TestIdempotencyAfterLostAnswer(t *testing.T) {
	f, _ := ParseFaults("drop:1", 1)
	in := NewInjector(InjectorOptions{Faults: f})
	idem := NewIdempotency(IdempotencyOptions{})
	var runs atomic.Int64
	var faulty atomic.Bool
	faulty.Store(true)
	h := idem.Wrap(true, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := runs.Add(1)
		_, _ = io.WriteString(w, "subject created by run "+itoa(int(n))+strings.Repeat(".", 300))
	}))
	s := listen(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt := Route{}
		if faulty.Load() {
			rt.Faults = FaultDrop
		}
		in.Serve(w, r, rt, h)
	}))
	send := func() (string, error) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL()+"/mrn_regimen", strings.NewReader(`{"mrn":"101-001"}`))
		req.Header.Set(IdempotencyHeader, "k-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	if _, err := send(); err == nil {
		t.Fatal("first answer arrived whole; drop:1 should have cut it")
	}
	faulty.Store(false)
	body, err := send()
	if err != nil || !strings.HasPrefix(body, "subject created by run 1.") || runs.Load() != 1 {
		t.Fatalf("retry: %q %v, runs %d", body, err, runs.Load())
	}
}

// TestIdempotencySweep: expired keys do not pile up.
func TestIdempotencySweep(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	idem := NewIdempotency(IdempotencyOptions{TTL: time.Minute, Now: func() time.Time { return now }})
	s := listen(t, idem.Wrap(true, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})))
	for i := range 200 {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL(), nil)
		req.Header.Set(IdempotencyHeader, "key-"+itoa(i))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		now = now.Add(time.Second)
	}
	if n := idem.Len(); n > 61+64 {
		t.Fatalf("%d keys remembered with a one-minute TTL after 200 s", n)
	}
}
