package remote

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// sink is a loopback server that records whether a request reached it, and with which credentials.
type sink struct {
	srv   *httptest.Server
	hits  atomic.Int64
	creds atomic.Int64
}

func newSink(t *testing.T) *sink {
	s := &sink{}
	s.srv = serve(t, func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if r.Header.Get("Authorization") != "" || r.Header.Get("MRNIntegrationToken") != "" {
			s.creds.Add(1)
		}
		_, _ = io.WriteString(w, "elsewhere")
	})
	return s
}

// TestRedirectsStayOnOrigin: a redirect to another port (another origin) or from https to http is
// refused with a fatal error that says where it pointed, and the other server never sees the request,
// let alone the credentials; a redirect within the origin is followed.
func TestRedirectsStayOnOrigin(t *testing.T) {
	other := newSink(t)
	redirectTo := func(target string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/same/new" {
				if r.Header.Get("Authorization") == "" && r.Header.Get("MRNIntegrationToken") == "" {
					http.Error(w, "no credentials", http.StatusUnauthorized)
					return
				}
				_, _ = io.WriteString(w, "moved within")
				return
			}
			if r.URL.Path == "/same/old" {
				http.Redirect(w, r, "/same/new", http.StatusFound)
				return
			}
			http.Redirect(w, r, target+r.URL.Path, http.StatusFound)
		}
	}
	plain := serve(t, redirectTo(other.srv.URL))
	secure := httptest.NewTLSServer(redirectTo(other.srv.URL))
	t.Cleanup(secure.Close)

	for _, tc := range []struct {
		name string
		base string
		hc   *http.Client
		auth Auth
	}{
		{"basic, other port", plain.URL, nil, Basic("u", "secret-pw")},
		{"header token, other port", plain.URL, nil, HeaderToken("MRNIntegrationToken", "sa-token")},
		{"https to http", secure.URL, secure.Client(), Basic("u", "secret-pw")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(tc.base, &waits{})
			cfg.Auth, cfg.HTTPClient = tc.auth, tc.hc
			c := newClient(t, cfg)
			before := other.hits.Load()
			_, err := get(t.Context(), c, "data")
			if !errors.Is(err, ErrRedirectRefused) || !IsFatal(err) || Retryable(err) {
				t.Fatalf("redirect elsewhere: %v", err)
			}
			if !strings.Contains(err.Error(), "redirected the request to "+other.srv.URL) || strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q", err)
			}
			if other.hits.Load() != before || other.creds.Load() != 0 {
				t.Fatalf("the other server was reached %d times, %d with credentials", other.hits.Load()-before, other.creds.Load())
			}
			if body, err := get(t.Context(), c, "same/old"); err != nil || body != "moved within" {
				t.Fatalf("redirect within the origin: %q, %v", body, err)
			}
		})
	}
}

// TestRequestToOtherOriginRefused: a request addressed outside the client's origin is refused unsent.
func TestRequestToOtherOriginRefused(t *testing.T) {
	other := newSink(t)
	home := serve(t, func(w http.ResponseWriter, r *http.Request) {})
	c := newClient(t, testConfig(home.URL, &waits{}))
	u, _ := url.Parse(other.srv.URL + "/x")
	_, err := c.Do(t.Context(), Request{Method: http.MethodGet, URL: u})
	if !errors.Is(err, ErrOtherOrigin) || other.hits.Load() != 0 {
		t.Fatalf("err %v, %d hits", err, other.hits.Load())
	}
}

func TestSameOrigin(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"https://Rave.Example.com/a", "https://rave.example.com:443/b", true},
		{"https://rave.example.com./a", "https://rave.example.com/b", true},
		{"http://127.0.0.1:8080/a", "http://localhost:8080/b", true},
		{"http://[::1]:8080/a", "http://LOCALHOST.:8080/b", true},
		{"http://127.0.0.1/a", "http://localhost:80/b", true},
		{"http://127.0.0.1:8080/a", "http://127.0.0.1:8081/a", false},
		{"https://rave.example.com/a", "http://rave.example.com/a", false},
		{"https://rave.example.com/a", "https://rave.example.com:8443/a", false},
		{"https://rave.example.com/a", "https://evil.example/a", false},
		{"http://127.0.0.2:80/a", "http://127.0.0.1:80/a", false},
	} {
		a, _ := url.Parse(tc.a)
		b, _ := url.Parse(tc.b)
		if got := SameOrigin(a, b); got != tc.same {
			t.Errorf("SameOrigin(%s, %s) = %v", tc.a, tc.b, got)
		}
	}
}

// TestPlainHTTPOnlyToThisMachine: New refuses http:// to any host but this machine (the credentials
// would cross the network in clear), for the API and for an OAuth2 token endpoint; the error is fatal
// and says to use https.
func TestPlainHTTPOnlyToThisMachine(t *testing.T) {
	for _, tc := range []struct {
		base, token string
		ok          bool
	}{
		{"http://127.0.0.1:8080/RaveWebServices", "", true},
		{"http://127.9.9.9:8080", "", true},
		{"http://localhost:8080", "", true},
		{"http://LOCALHOST.:8080", "", true},
		{"http://[::1]:8080", "", true},
		{"https://rave.example.com", "https://login.example.com/token", true},
		{"http://rave.example.com/RaveWebServices", "", false},
		{"http://10.0.0.5", "", false},
		{"http://localhost.example.com", "", false},
		{"https://rave.example.com", "http://login.example.com/token", false},
	} {
		cfg := Config{Name: "rave", BaseURL: tc.base, Auth: Basic("u", "p")}
		if tc.token != "" {
			cfg.Auth = OAuth2ClientCredentials(tc.token, "id", "s")
		}
		c, err := New(cfg)
		if tc.ok {
			if err != nil {
				t.Errorf("%s %s: %v", tc.base, tc.token, err)
			} else {
				_ = c.Close()
			}
			continue
		}
		if !errors.Is(err, ErrInsecure) || !IsFatal(err) || !strings.HasSuffix(err.Error(), "use https") {
			t.Errorf("%s %s: %v", tc.base, tc.token, err)
		}
	}
}

// TestUntrustedCertificate: a server whose certificate the client does not trust is not retried: the
// error says so at once.
func TestUntrustedCertificate(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	w := &waits{}
	c := newClient(t, testConfig(srv.URL, w)) // the default client: the test certificate is not trusted
	_, err := get(t.Context(), c, "x")
	if err == nil || Retryable(err) || IsOffline(err) || len(w.All()) != 0 || hits.Load() != 0 ||
		!strings.Contains(err.Error(), "the server's certificate is not trusted for 127.0.0.1") {
		t.Fatalf("untrusted certificate: %v (waits %v)", err, w.All())
	}
}
