package checklist

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trialsync/trialsync/sync/sim/seed"
)

func start(t *testing.T, opts Options) *Server {
	t.Helper()
	s, err := Start("127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func demoStudy(t *testing.T) *seed.Study {
	t.Helper()
	st, err := seed.Load(filepath.Join("..", "..", "..", "testdata", "seed", "study.toml"))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// answer is one HTTP exchange's outcome.
type answer struct {
	status int
	header http.Header
	body   []byte
	err    error
}

// call sends a request with the server's token (or the given Authorization value, "" for none) and
// the headers given as name, value pairs.
func call(t *testing.T, s *Server, method, path, body string, headers ...string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Options().Token)
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: b, err: err}
}

// put sends a PUT of body to one item with an Idempotency-Key.
func put(t *testing.T, s *Server, site, code, key, body string) answer {
	t.Helper()
	return call(t, s, "PUT", "/v1/checklist-items/"+site+"/"+code, body, "Idempotency-Key", key)
}

// page is a decoded listing page.
type page struct {
	Items      []map[string]any `json:"items"`
	NextCursor *string          `json:"next_cursor"`
}

func decodePage(t *testing.T, a answer) page {
	t.Helper()
	if a.err != nil || a.status != 200 {
		t.Fatalf("list: %d %v %s", a.status, a.err, a.body)
	}
	var p page
	if err := json.Unmarshal(a.body, &p); err != nil {
		t.Fatalf("list body: %v: %s", err, a.body)
	}
	return p
}

// isProblem checks an RFC 9457 problem answer of the given status whose detail holds want.
func isProblem(t *testing.T, a answer, status int, want string) {
	t.Helper()
	if a.err != nil || a.status != status || a.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("got %d %v %q %s, want a %d problem", a.status, a.err, a.header.Get("Content-Type"), a.body, status)
	}
	var p struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(a.body, &p); err != nil || p.Status != status || !strings.Contains(p.Detail, want) {
		t.Fatalf("problem %s, want detail containing %q", a.body, want)
	}
}
