package remote

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// TestAuthHeaders: each kind of credential arrives where its API expects it, and only there.
func TestAuthHeaders(t *testing.T) {
	cases := []struct {
		name   string
		auth   Auth
		header string
		want   string
	}{
		{"basic", Basic("rws.integration", "pw 1"), "Authorization", "Basic cndzLmludGVncmF0aW9uOnB3IDE="},
		{"bearer", Bearer("edc-token-1"), "Authorization", "Bearer edc-token-1"},
		{"sureadhere header token", HeaderToken("MRNIntegrationToken", "sa-token-9"), "MRNIntegrationToken", "sa-token-9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got http.Header
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() })
			cfg := testConfig(srv.URL, &waits{})
			cfg.Auth = tc.auth
			c := newClient(t, cfg)
			if _, err := get(t.Context(), c, "x"); err != nil {
				t.Fatal(err)
			}
			if got.Get(tc.header) != tc.want {
				t.Errorf("%s: %q, want %q", tc.header, got.Get(tc.header), tc.want)
			}
			if tc.header != "Authorization" && got.Get("Authorization") != "" {
				t.Errorf("Authorization sent along: %q", got.Get("Authorization"))
			}
			if s := fmt.Sprintf("%v %+v %#v %s", tc.auth, tc.auth, tc.auth, tc.auth); strings.Contains(s, "pw 1") || strings.Contains(s, "token-") {
				t.Errorf("formatting the auth shows the secret: %s", s)
			}
		})
	}
}

const iis401 = `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"><html><head><title>401 - Unauthorized: Access is denied due to invalid credentials.</title></head>
<body><div id="header"><h1>Server Error</h1></div><div id="content"><h2>401 - Unauthorized: Access is denied due to invalid credentials.</h2></div></body></html>`

// TestRejectedCredential: a refused Basic credential is tried at most once more (an IIS-style HTML 401
// page may be transient), then it is a fatal "credential rejected": repeating a wrong password is how
// a service account gets locked out. A 401 the API calls final is not repeated at all.
func TestRejectedCredential(t *testing.T) {
	for _, tc := range []struct {
		name      string
		final     bool
		wantCalls int64
	}{
		{"html 401 tried once more", false, 2},
		{"final 401 not repeated", true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int64
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = io.WriteString(w, iis401)
			})
			w := &waits{}
			cfg := testConfig(srv.URL, w)
			cfg.Auth = Basic("svc", "wrong-password")
			cfg.Breaker.Failures = 2 // a refusal is an answer: it must not open the breaker
			if tc.final {
				cfg.ErrorBody = func(int, http.Header, []byte) Problem {
					return Problem{Code: "BAD_LOGIN", Message: "bad login", Final: true}
				}
			}
			c := newClient(t, cfg)
			for call := range 2 { // a second request (the next polling cycle) behaves the same
				before := calls.Load()
				_, err := get(t.Context(), c, "x")
				if !errors.Is(err, ErrCredentialRejected) || !errors.Is(err, ErrUnauthorized) || !IsFatal(err) || Retryable(err) {
					t.Fatalf("call %d: %v (fatal %v, retryable %v)", call, err, IsFatal(err), Retryable(err))
				}
				if got := calls.Load() - before; got != tc.wantCalls {
					t.Fatalf("call %d sent the credential %d times, want %d", call, got, tc.wantCalls)
				}
				if !strings.HasSuffix(err.Error(), "credential rejected") || strings.Contains(err.Error(), "wrong-password") {
					t.Errorf("error %q", err)
				}
			}
			if c.BreakerState() != "closed" {
				t.Errorf("refusals opened the breaker")
			}
			if !tc.final && !strings.Contains(c.State().LastError, "401 - Unauthorized") {
				t.Errorf("state %+v does not say why", c.State())
			}
		})
	}
}

// tokenServer is an OAuth2 token endpoint on loopback that issues numbered tokens and counts them.
type tokenServer struct {
	issued atomic.Int64
	refuse atomic.Bool
}

func (ts *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if ts.refuse.Load() {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"invalid_client"}`)
		return
	}
	n := ts.issued.Add(1)
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("tok-%d", n), "token_type": "bearer", "expires_in": 3600})
}

// TestOAuth2RefusedTokenRefreshedOnce: an access token the API refuses is replaced once, at once; a
// second refusal is a fatal "credential rejected". A refused client secret at the token endpoint is
// fatal too.
func TestOAuth2RefusedTokenRefreshedOnce(t *testing.T) {
	ts := &tokenServer{}
	tokens := serve(t, ts.ServeHTTP)
	var mu sync.Mutex
	var seen []string
	api := serve(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		if r.Header.Get("Authorization") == "Bearer tok-1" || r.URL.Path == "/always401" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, "token expired")
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	w := &waits{}
	cfg := testConfig(api.URL, w)
	cfg.Auth = OAuth2ClientCredentials(tokens.URL, "id", "secret-value")
	var rotated []string
	cfg.OnTokenRotated = func(fp string) { rotated = append(rotated, fp) }
	cfg.Fingerprint = func(s string) string { return "fp(" + strings.TrimPrefix(s, "tok-") + ")" }
	c := newClient(t, cfg)

	if body, err := get(t.Context(), c, "x"); err != nil || body != "ok" {
		t.Fatalf("first request: %q, %v", body, err)
	}
	if ts.issued.Load() != 2 || fmt.Sprint(seen) != "[Bearer tok-1 Bearer tok-2]" || len(w.All()) != 0 {
		t.Fatalf("tokens issued %d, API saw %v, waits %v", ts.issued.Load(), seen, w.All())
	}
	if fmt.Sprint(rotated) != "[fp(1) fp(2)]" {
		t.Errorf("rotations reported %v", rotated)
	}

	seen = nil
	_, err := get(t.Context(), c, "always401")
	if !errors.Is(err, ErrCredentialRejected) || !IsFatal(err) || len(seen) != 2 || ts.issued.Load() != 3 {
		t.Fatalf("always refused: %v, API saw %v, %d tokens", err, seen, ts.issued.Load())
	}

	ts.refuse.Store(true)
	c2 := newClient(t, cfg)
	seen = nil
	_, err = get(t.Context(), c2, "x")
	if !errors.Is(err, ErrCredentialRejected) || !IsFatal(err) || len(seen) != 0 || strings.Contains(err.Error(), "secret-value") {
		t.Fatalf("refused client: %v, API saw %v", err, seen)
	}
	if !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("error %q does not say why", err)
	}
}

// TestStalledTokenEndpoint: a token endpoint that never answers costs one attempt timeout per attempt,
// not a hung request, and the API never sees a request.
func TestStalledTokenEndpoint(t *testing.T) {
	release := make(chan struct{})
	stalled := serve(t, func(w http.ResponseWriter, r *http.Request) { <-release })
	t.Cleanup(func() { close(release) })
	var apiCalls atomic.Int64
	api := serve(t, func(w http.ResponseWriter, r *http.Request) { apiCalls.Add(1) })
	cfg := testConfig(api.URL, &waits{})
	cfg.Auth = OAuth2ClientCredentials(stalled.URL, "id", "secret")
	cfg.Timeout = 100 * time.Millisecond
	cfg.Retry.MaxAttempts = 2
	c := newClient(t, cfg)
	_, err := get(t.Context(), c, "x")
	if err == nil || !Retryable(err) || IsFatal(err) || apiCalls.Load() != 0 {
		t.Fatalf("err %v (retryable %v), %d requests reached the API", err, Retryable(err), apiCalls.Load())
	}
}

// TestFailingTokenEndpoint: a token endpoint that is busy or failing (429, 5xx) is retried and said
// to be failing; only a refusal of the client is called one.
func TestFailingTokenEndpoint(t *testing.T) {
	var calls atomic.Int64
	tokens := serve(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"error":"temporarily_unavailable"}`)
	})
	cfg := testConfig(serve(t, func(http.ResponseWriter, *http.Request) {}).URL, &waits{})
	cfg.Auth = OAuth2ClientCredentials(tokens.URL, "id", "secret")
	cfg.Retry.MaxAttempts = 3
	c := newClient(t, cfg)
	_, err := get(t.Context(), c, "x")
	if err == nil || !Retryable(err) || IsFatal(err) || calls.Load() < 3 { // oauth2 may ask twice per attempt (its two ways of sending the secret)
		t.Fatalf("err %v (retryable %v), %d token requests", err, Retryable(err), calls.Load())
	}
	if msg := err.Error(); strings.Contains(msg, "refused the client credentials") || !strings.Contains(msg, "503") {
		t.Fatalf("error %q: a failing token endpoint is not a refused credential", msg)
	}
}

// TestEchoedCredentialRedacted: a server that repeats the request's credential in its error answer
// (a debugging gateway, a proxy's error page) does not put it in the error, which reaches logs, the
// outbox's stored messages and the audit trail: the client removes its own credentials from what
// the server says.
func TestEchoedCredentialRedacted(t *testing.T) {
	for _, tc := range []struct {
		name    string
		auth    Auth
		status  int
		body    string
		secrets []string
	}{
		{"basic password and header", Basic("rws.integration", "s3cret-pw"), http.StatusBadRequest,
			`{"code":"bad s3cret-pw","message":"refused Authorization: Basic cndzLmludGVncmF0aW9uOnMzY3JldC1wdw== (password s3cret-pw)"}`,
			[]string{"s3cret-pw", "cndzLmludGVncmF0aW9uOnMzY3JldC1wdw=="}},
		{"bearer token", Bearer("edc-token-0042"), http.StatusForbidden,
			`{"title":"Forbidden","detail":"the token edc-token-0042 may not write here"}`, []string{"edc-token-0042"}},
		{"header token in text", HeaderToken("MRNIntegrationToken", "sa-token-0099"), http.StatusBadRequest,
			"Invalid MRNIntegrationToken\n sa-token-0099.", []string{"sa-token-0099"}},
		{"oauth2 access token", OAuth2TokenSource(staticToken("access-0123456789")), http.StatusServiceUnavailable,
			`<html><head><title>upstream refused Bearer access-0123456789</title></head></html>`, []string{"access-0123456789"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			})
			cfg := testConfig(srv.URL, &waits{})
			cfg.Auth, cfg.Retry = tc.auth, RetryPolicy{MaxAttempts: 1}
			c := newClient(t, cfg)
			_, err := get(t.Context(), c, "x")
			e := asError(t, err)
			shown := fmt.Sprintf("%v | %s | %s | %s | %s", err, e.Code, e.Message, e.Reason(), c.State().LastError)
			for _, s := range tc.secrets {
				if strings.Contains(shown, s) {
					t.Fatalf("the credential %q reached the error: %s", s, shown)
				}
			}
			if !strings.Contains(shown, "[redacted]") {
				t.Fatalf("error %s: the echo is not marked", shown)
			}
		})
	}
}

// staticToken is an oauth2.TokenSource that always gives the same access token.
type staticToken string

func (s staticToken) Token() (*oauth2.Token, error) {
	return &oauth2.Token{AccessToken: string(s), TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}, nil
}
