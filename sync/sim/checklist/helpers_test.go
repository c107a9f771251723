package checklist

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/trialsync/trialsync/sync/sim/simtest"
)

func start(t *testing.T, opts Options) *Server { return simtest.Start(t, Start, opts) }

// answer is one HTTP exchange's outcome.
type answer = simtest.Answer

// call sends a request with the server's token and the headers given as name, value pairs (an empty
// value removes that header: "Authorization", "" sends none).
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
	return simtest.Do(req, headers...)
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
	if a.Err != nil || a.Status != 200 {
		t.Fatalf("list: %d %v %s", a.Status, a.Err, a.Body)
	}
	var p page
	if err := json.Unmarshal(a.Body, &p); err != nil {
		t.Fatalf("list body: %v: %s", err, a.Body)
	}
	return p
}

// isProblem checks an RFC 9457 problem answer of the given status whose detail holds want.
func isProblem(t *testing.T, a answer, status int, want string) {
	t.Helper()
	if a.Err != nil || a.Status != status || a.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("got %d %v %q %s, want a %d problem", a.Status, a.Err, a.Header.Get("Content-Type"), a.Body, status)
	}
	var p struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(a.Body, &p); err != nil || p.Status != status || !strings.Contains(p.Detail, want) {
		t.Fatalf("problem %s, want detail containing %q", a.Body, want)
	}
}
