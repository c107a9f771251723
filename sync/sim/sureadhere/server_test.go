package sureadhere

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trialsync/trialsync/sync/sim/simtest"
)

func start(t *testing.T, opts Options) *Server { return simtest.Start(t, Start, opts) }

// answer is one HTTP exchange, with its body decoded when it is a JSON object.
type answer struct {
	simtest.Answer
	json map[string]any
}

// ingest posts body with the token (and, as name, value pairs, other headers; "" drops one).
func ingest(t *testing.T, s *Server, token, body string, headers ...string) answer {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "POST", s.URL()+IngestPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set(TokenHeader, token)
	}
	return do(req, headers...)
}

func do(req *http.Request, headers ...string) answer {
	a := answer{Answer: simtest.Do(req, headers...)}
	_ = json.Unmarshal(a.Body, &a.json)
	return a
}

const tok = "sim-sureadhere-token"

// TestIngest: every answer of the endpoint, from a fresh simulator holding 101-001 (Group 1, 101).
func TestIngest(t *testing.T) {
	cases := []struct {
		name   string
		token  string
		body   string
		hdr    []string
		status int
		want   map[string]string // a field of the answer -> substring of its value (JSON)
	}{
		{"created", tok, `{"mrn":"102-007","regimen":"Group 2","site_code":"102"}`, nil, 201,
			map[string]string{"mrn": `"102-007"`, "regimen": `"Group 2"`, "site_code": `"102"`, "id": "2", "created_at": `"2025-03-03T09:00:00Z"`}},
		{"unknown fields ignored", tok, `{"mrn":"102-008","regimen":"Group 2","site_code":"102","arm":"Arm B"}`, nil, 201, map[string]string{"mrn": `"102-008"`}},
		{"duplicate MRN", tok, `{"mrn":"101-001","regimen":"Group 1","site_code":"101"}`, nil, 409, map[string]string{"detail": "MRN 101-001 already exists"}},
		{"duplicate MRN with another regimen", tok, `{"mrn":"101-001","regimen":"Group 2","site_code":"101"}`, nil, 409, map[string]string{"detail": "already exists"}},
		{"same MRN in another workspace", "beta-token", `{"mrn":"101-001","regimen":"Group 1","site_code":"101"}`, nil, 201, map[string]string{"mrn": `"101-001"`}},
		{"no token", "", `{"mrn":"101-002","regimen":"Group 1","site_code":"101"}`, nil, 400, map[string]string{"detail": "Invalid MRNIntegrationToken."}},
		{"wrong token", "sim-sureadhere-tokenX", `{"mrn":"101-002","regimen":"Group 1","site_code":"101"}`, nil, 400, map[string]string{"detail": "Invalid MRNIntegrationToken."}},
		{"unknown site", tok, `{"mrn":"104-001","regimen":"Group 1","site_code":"104"}`, nil, 400, map[string]string{"site_code": `Site code \"104\" does not exist`}},
		{"unknown regimen", tok, `{"mrn":"101-002","regimen":"Group 3","site_code":"101"}`, nil, 400, map[string]string{"regimen": `\"Group 3\" is not a valid choice.`}},
		{"arm instead of regimen", tok, `{"mrn":"101-002","regimen":"Arm A","site_code":"101"}`, nil, 400, map[string]string{"regimen": "is not a valid choice"}},
		{"MRN form", tok, `{"mrn":"101-0002","regimen":"Group 1","site_code":"101"}`, nil, 400, map[string]string{"mrn": "is not of the form SITE-NNN"}},
		{"MRN of another site", tok, `{"mrn":"102-002","regimen":"Group 1","site_code":"101"}`, nil, 400, map[string]string{"mrn": `does not belong to site \"101\"`}},
		{"every problem at once", tok, `{"mrn":"","regimen":3,"site_code":null}`, nil, 400,
			map[string]string{"mrn": "may not be blank", "regimen": "Not a valid string", "site_code": "This field is required."}},
		{"missing fields", tok, `{}`, nil, 400, map[string]string{"mrn": "required", "regimen": "required", "site_code": "required"}},
		{"not JSON", tok, `mrn=101-002`, nil, 400, map[string]string{"detail": "JSON parse error"}},
		{"not an object", tok, `["101-002"]`, nil, 400, map[string]string{"detail": "JSON parse error"}},
		{"not JSON media type", tok, `{"mrn":"101-002","regimen":"Group 1","site_code":"101"}`, []string{"Content-Type", "text/plain"}, 415, map[string]string{"detail": "Unsupported media type"}},
		{"JSON with a charset", tok, `{"mrn":"101-003","regimen":"Group 1","site_code":"101"}`, []string{"Content-Type", "application/json; charset=utf-8"}, 201, map[string]string{"mrn": `"101-003"`}},
		{"too large", tok, `{"mrn":"` + strings.Repeat("1", maxBody) + `"}`, nil, 413, map[string]string{"detail": "too large"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
			s := start(t, Options{Workspaces: map[string]string{"beta-token": "BETA"}, Now: func() time.Time { return now }})
			if a := ingest(t, s, tok, `{"mrn":"101-001","regimen":"Group 1","site_code":"101"}`); a.Status != 201 {
				t.Fatalf("first patient: %d %s", a.Status, a.Body)
			}
			before := len(s.Patients())
			a := ingest(t, s, tc.token, tc.body, tc.hdr...)
			if a.Err != nil || a.Status != tc.status || !strings.HasPrefix(a.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("%d %v %s", a.Status, a.Err, a.Body)
			}
			for k, v := range tc.want {
				got, _ := json.Marshal(a.json[k])
				if !strings.Contains(string(got), v) {
					t.Errorf("%s = %s, want it to hold %s", k, got, v)
				}
			}
			after := s.Patients()
			if created := len(after) - before; (tc.status == 201) != (created == 1) || created > 1 {
				t.Fatalf("%d patients created by a %d", created, tc.status)
			}
			if tc.status == 201 {
				p := after[len(after)-1]
				var sent struct{ MRN, Regimen, Site_code string }
				_ = json.Unmarshal([]byte(tc.body), &sent)
				ws := map[string]string{tok: "ALPHA", "beta-token": "BETA"}[tc.token]
				if got, ok := s.Patient(ws, sent.MRN); !ok || got != p || p.Regimen != sent.Regimen || p.SiteCode != sent.Site_code {
					t.Fatalf("stored %+v, sent %s", p, tc.body)
				}
			}
			if s.Count(itoa(tc.status)) < 1 {
				t.Fatalf("status %d not counted", tc.status)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestThrottle: one client address over the rate is refused with 429 and Retry-After in whole
// seconds, before its token is even read; when the time has passed it gets through again.
func TestThrottle(t *testing.T) {
	var mu sync.Mutex
	clock := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	s := start(t, Options{Rate: 0.5, Burst: 3, Now: now})
	body := func(n int) string {
		return `{"mrn":"101-00` + itoa(n) + `","regimen":"Group 1","site_code":"101"}`
	}
	for i := 1; i <= 3; i++ {
		if a := ingest(t, s, tok, body(i)); a.Status != 201 {
			t.Fatalf("within the burst, request %d: %d %s", i, a.Status, a.Body)
		}
	}
	for _, token := range []string{tok, "wrong"} {
		a := ingest(t, s, token, body(4))
		if a.Status != 429 || a.Header.Get("Retry-After") != "2" || a.json["detail"] != "Request was throttled. Expected available in 2 seconds." {
			t.Fatalf("over the rate: %d %q %s", a.Status, a.Header.Get("Retry-After"), a.Body)
		}
	}
	advance(1500 * time.Millisecond)
	if a := ingest(t, s, tok, body(4)); a.Status != 429 || a.Header.Get("Retry-After") != "1" || a.json["detail"] != "Request was throttled. Expected available in 1 second." {
		t.Fatalf("half a token later: %d %q %s", a.Status, a.Header.Get("Retry-After"), a.Body)
	}
	advance(500 * time.Millisecond)
	if a := ingest(t, s, tok, body(4)); a.Status != 201 {
		t.Fatalf("after Retry-After: %d %s", a.Status, a.Body)
	}
	if s.Count("throttled") != 3 || s.Count("ingest") != 4 || len(s.Patients()) != 4 {
		t.Fatalf("throttled %d, ingested %d, patients %d", s.Count("throttled"), s.Count("ingest"), len(s.Patients()))
	}
	off := start(t, Options{Rate: -1, Now: now})
	for i := 1; i <= 40; i++ {
		if a := ingest(t, off, tok, `{"mrn":"101-0`+itoa(10+i)+`","regimen":"Group 1","site_code":"101"}`); a.Status != 201 {
			t.Fatalf("unthrottled request %d: %d %s", i, a.Status, a.Body)
		}
	}
}

// TestFaults: the injected 429 and 503 keep the patient from being created; a dropped answer comes
// after the patient was created, so the client's retry meets 409.
func TestFaults(t *testing.T) {
	body := `{"mrn":"103-004","regimen":"Group 2","site_code":"103"}`
	t.Run("429 with Retry-After", func(t *testing.T) {
		s := start(t, Options{Faults: "429ra:1@4s"})
		a := ingest(t, s, tok, body)
		if a.Status != 429 || a.Header.Get("Retry-After") != "4" || a.json["detail"] != "Request was throttled." || len(s.Patients()) != 0 {
			t.Fatalf("%d %q %s", a.Status, a.Header.Get("Retry-After"), a.Body)
		}
	})
	t.Run("503", func(t *testing.T) {
		s := start(t, Options{Faults: "503burst:2@1"})
		for range 2 {
			a := ingest(t, s, tok, body)
			if a.Status != 503 || !strings.Contains(string(a.Body), "<h1>503 Service Unavailable</h1>") || len(s.Patients()) != 0 {
				t.Fatalf("%d %s", a.Status, a.Body)
			}
		}
		if a := ingest(t, s, tok, body); a.Status != 201 || s.Count("503") != 2 {
			t.Fatalf("after the burst: %d, %d 503s", a.Status, s.Count("503"))
		}
	})
	t.Run("drop after apply", func(t *testing.T) {
		s := start(t, Options{Faults: "drop:1"})
		a := ingest(t, s, tok, body)
		if !errors.Is(a.Err, io.ErrUnexpectedEOF) || s.Count("drop") != 1 {
			t.Fatalf("dropped answer: %d %v", a.Status, a.Err)
		}
		if p, ok := s.Patient("ALPHA", "103-004"); !ok || p.Regimen != "Group 2" {
			t.Fatal("the patient whose answer was dropped was not created")
		}
		again := ingest(t, s, tok, body)
		if !errors.Is(again.Err, io.ErrUnexpectedEOF) || s.Count("409") != 1 || len(s.Patients()) != 1 {
			t.Fatalf("retry: %v, %d 409s, %d patients", again.Err, s.Count("409"), len(s.Patients()))
		}
	})
}

// TestOtherRoutes: the endpoint takes POST only; other paths are 404; the readback lists a
// workspace's patients for its token.
func TestOtherRoutes(t *testing.T) {
	s := start(t, Options{Workspaces: map[string]string{"beta-token": "BETA"}})
	ingest(t, s, tok, `{"mrn":"101-001","regimen":"Group 1","site_code":"101"}`)
	ingest(t, s, "beta-token", `{"mrn":"102-001","regimen":"Group 2","site_code":"102"}`)
	req, _ := http.NewRequestWithContext(t.Context(), "GET", s.URL()+IngestPath, nil)
	if a := do(req); a.Status != 405 || a.Header.Get("Allow") != "POST, OPTIONS" {
		t.Fatalf("GET: %d %v", a.Status, a.Header)
	}
	req, _ = http.NewRequestWithContext(t.Context(), "POST", s.URL()+"/treatment/ingest/mrn", nil)
	if a := do(req); a.Status != 404 || a.json["detail"] != "Not found." {
		t.Fatalf("other path: %d %s", a.Status, a.Body)
	}
	for token, want := range map[string]string{tok: "101-001", "beta-token": "102-001"} {
		req, _ = http.NewRequestWithContext(t.Context(), "GET", s.URL()+"/sim/patients", nil)
		req.Header.Set(TokenHeader, token)
		a := do(req)
		list, _ := a.json["patients"].([]any)
		if a.Status != 200 || a.json["count"] != 1.0 || len(list) != 1 || list[0].(map[string]any)["mrn"] != want {
			t.Fatalf("readback for %s: %d %s", token, a.Status, a.Body)
		}
	}
	req, _ = http.NewRequestWithContext(t.Context(), "GET", s.URL()+"/sim/patients", nil)
	if a := do(req); a.Status != 400 {
		t.Fatalf("readback without a token: %d", a.Status)
	}
}

// TestFromSeed: the demo study's sites and regimens; every seeded subject can be registered with
// its arm's regimen, once.
func TestFromSeed(t *testing.T) {
	st := simtest.DemoStudy(t)
	s := start(t, func() Options { o := FromSeed(st); o.Rate = -1; return o }())
	o := s.Options()
	if o.Workspace != "ALPHA" || !slices.Equal(o.Sites, []string{"101", "102", "103"}) || !slices.Equal(o.Regimens, []string{"Group 1", "Group 2"}) {
		t.Fatalf("options %+v", o)
	}
	for i, subject := range st.Subjects()[:30] {
		site, _, _ := strings.Cut(subject, "-")
		regimen := st.Arms[i%2].Regimen
		a := ingest(t, s, tok, `{"mrn":"`+subject+`","regimen":"`+regimen+`","site_code":"`+site+`"}`)
		if a.Status != 201 {
			t.Fatalf("%s: %d %s", subject, a.Status, a.Body)
		}
	}
	if len(s.Patients()) != 30 {
		t.Fatal(len(s.Patients()))
	}
}

func TestStartErrors(t *testing.T) {
	for _, tc := range []struct {
		addr string
		opts Options
		err  string
	}{
		{"0.0.0.0:0", Options{}, "not loopback"},
		{"127.0.0.1:0", Options{Faults: "429:x"}, "not a probability"},
		{"127.0.0.1:0", Options{Workspaces: map[string]string{"t": ""}}, "needs a token and a name"},
	} {
		if s, err := Start(tc.addr, tc.opts); err == nil || !strings.Contains(err.Error(), tc.err) {
			if s != nil {
				s.Close()
			}
			t.Errorf("Start(%q, %+v) = %v, want %q", tc.addr, tc.opts, err, tc.err)
		}
	}
}
