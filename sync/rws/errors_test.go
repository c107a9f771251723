package rws

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"unicode"

	"github.com/trialsync/trialsync/sync/remote"
)

// TestErrorShapes serves each error shape RWS uses from a real loopback server and checks the
// typed error the client makes of it.
func TestErrorShapes(t *testing.T) {
	cases := []struct {
		fixture     string
		status      int
		contentType string
		shape       string
		reason      string
		message     string // substring
		origin      string
		is          error
		retryable   bool
	}{
		{"odm_bad_login.xml", 401, "text/xml", "odm", "RWS00008", "Incorrect login and password combination", "", ErrUnauthorized, false},
		{"response_locked_out.xml", 401, "text/xml", "response", "RWS00005", "User is locked out.", "", ErrLockedOut, false},
		{"response_study_not_found.xml", 404, "text/xml", "response", "RWS00014", "Study GAMMA(Prod) not found.", "", ErrNotFound, false},
		{"response_subject_not_found.xml", 404, "text/xml", "response", "RWS00023", "Subject 101-099 not found.", "/ODM/ClinicalData[1]/SubjectData[2]", ErrNotFound, false},
		{"response_not_implemented.xml", 400, "text/xml", "response", "RWS00140", "not implemented", "", ErrNotImplemented, false},
		{"response_bom_crf_version.xml", 404, "text/xml; charset=utf-8", "response", "RWS00092", "CRF version not found", "", ErrNotFound, false},
		{"iis_401.html", 401, "text/html", "html", "", "HTTP Error 401.0 - Unauthorized", "", ErrUnauthorized, true},
		{"iis_500.html", 500, "text/html", "html", "", "500 - Internal server error.", "", ErrUnavailable, true},
		{"iis_413.html", 413, "text/html", "html", "", "HTTP Error 413.1 - Request Entity Too Large", "", ErrTooLarge, false},
		{"text_no_auth.txt", 401, "text/plain", "text", "", "Authorization Header not provided", "", ErrUnauthorized, false},
		{"text_503.txt", 503, "text/plain", "text", "", "HTTP 503 Service Temporarily Unavailable", "", ErrUnavailable, true},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(fixtures, "errors", tc.fixture))
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				w.WriteHeader(tc.status)
				_, _ = w.Write(body)
			}))
			t.Cleanup(srv.Close)
			w := &waits{}
			c := newClient(t, Config{BaseURL: srv.URL, Auth: BasicAuth("u", "p"), Sleep: w.Sleep, Retry: RetryPolicy{MaxAttempts: 1}})
			_, err = c.Studies(t.Context())
			e := asError(t, err)
			if e.Status != tc.status || e.Shape != tc.shape || e.ReasonCode != tc.reason || e.Origin != tc.origin {
				t.Errorf("got status %d shape %q reason %q origin %q, want %d %q %q %q", e.Status, e.Shape, e.ReasonCode, e.Origin, tc.status, tc.shape, tc.reason, tc.origin)
			}
			if !strings.Contains(e.Message, tc.message) {
				t.Errorf("message %q does not contain %q", e.Message, tc.message)
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("%v does not match %v", err, tc.is)
			}
			if e.Retryable != tc.retryable || Retryable(err) != tc.retryable {
				t.Errorf("retryable = %v, want %v", e.Retryable, tc.retryable)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err.Error())
			}
		})
	}
}

// TestErrorIsExclusive checks that categories do not bleed into each other.
func TestErrorIsExclusive(t *testing.T) {
	locked := &Error{Status: 401, ReasonCode: "RWS00005", Shape: "response"}
	if errors.Is(locked, ErrRejected) || errors.Is(locked, ErrNotFound) || errors.Is(locked, ErrRateLimited) {
		t.Errorf("lock-out matches an unrelated category")
	}
	rejected := &Error{Status: 409, ReasonCode: "RWS00024", Shape: "response"}
	if !errors.Is(rejected, ErrRejected) || errors.Is(rejected, ErrUnauthorized) || errors.Is(rejected, ErrNotFound) {
		t.Errorf("subject-exists categories wrong")
	}
	notImpl := &Error{Status: 501}
	if errors.Is(notImpl, ErrUnavailable) || !errors.Is(notImpl, ErrNotImplemented) {
		t.Errorf("501 categories wrong")
	}
}

// TestErrorTextCleaned: escape sequences and control characters in an RWS error body (plain text, an
// IIS HTML page) never reach the error string, and so never a terminal or a log line; line breaks in
// an RWS <Response> cannot start a forged log line.
func TestErrorTextCleaned(t *testing.T) {
	for _, tc := range []struct {
		name, contentType, body, want string
	}{
		{"text", "text/plain", "\x1b[2J\x1b[31mAuthorization\x1b[0m Header\r\n\x1b]0;owned\x07not provided", "Authorization Header not provided"},
		{"html", "text/html", "<html><head><title>x</title></head><body><h2>\x1b[5mHTTP Error 500.0\x1b[0m &#27;[31m- Internal</h2></body></html>", "HTTP Error 500.0 - Internal"},
		{"response", "text/xml", `<Response ReferenceNumber="r" IsTransactionSuccessful="0" ReasonCode="RWS00014" ErrorClientResponseMessage="Study GAMMA&#10;{&quot;level&quot;:&quot;info&quot;}&#9;not found."></Response>`, `RWS00014: Study GAMMA {"level":"info"} not found.`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = w.Write([]byte(tc.body))
			}))
			t.Cleanup(srv.Close)
			c := newClient(t, Config{BaseURL: srv.URL, Auth: BasicAuth("u", "p"), Retry: RetryPolicy{MaxAttempts: 1}})
			_, err := c.Studies(t.Context())
			msg := err.Error()
			if strings.IndexFunc(msg, unicode.IsControl) >= 0 || strings.Contains(msg, "[31m") {
				t.Fatalf("control characters reached the error: %q", msg)
			}
			if !strings.HasSuffix(msg, tc.want) {
				t.Fatalf("error %q, want it to end %q", msg, tc.want)
			}
		})
	}
}

// TestIIS401TriedOnce: an IIS HTML 401 page in front of RWS is tried once more (it is sometimes
// transient), then the credential is rejected for good: a fatal error, not retried again, so that a
// wrong password cannot lock the service account however often the service polls.
func TestIIS401TriedOnce(t *testing.T) {
	page, err := os.ReadFile(filepath.Join(fixtures, "errors", "iis_401.html"))
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write(page)
	}))
	t.Cleanup(srv.Close)
	w := &waits{}
	c := newClient(t, Config{BaseURL: srv.URL, Auth: BasicAuth("u", "p"), Sleep: w.Sleep})
	for poll := 1; poll <= 3; poll++ {
		_, err := c.Studies(t.Context())
		if !errors.Is(err, ErrUnauthorized) || !errors.Is(err, remote.ErrCredentialRejected) || !remote.IsFatal(err) || Retryable(err) {
			t.Fatalf("poll %d: %v", poll, err)
		}
		if !strings.HasSuffix(err.Error(), "credential rejected") {
			t.Errorf("error %q", err)
		}
		if calls.Load() != int64(2*poll) {
			t.Fatalf("after poll %d the credential was sent %d times, want twice a poll", poll, calls.Load())
		}
	}
}

// TestNewRefusesUnusableConfigurations: a configuration that can never work is refused by New with an
// error that is fatal (remote.IsFatal), as its documentation promises, so that a service built on it
// stops and says why instead of retrying for ever.
func TestNewRefusesUnusableConfigurations(t *testing.T) {
	for _, tc := range []struct{ name, url, want string }{
		{"no address", "", "no address configured"},
		{"not a URL", "https://rave host/RaveWebServices", "the address is not a URL"},
		{"relative", "RaveWebServices", "not an absolute http or https URL"},
		{"plain http across the network", "http://rave.example.org", "use https"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(Config{BaseURL: tc.url, Auth: BasicAuth("u", "p")})
			if err == nil {
				_ = c.Close()
				t.Fatal("New accepted it")
			}
			if !remote.IsFatal(err) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "rave: ") {
				t.Fatalf("error %q (fatal %v), want a fatal error saying %q", err, remote.IsFatal(err), tc.want)
			}
		})
	}
}
