package remote

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/trialsync/trialsync/sync/remote/remotetest"
)

// waits records the waits the client computed instead of spending them.
type waits = remotetest.Waits

// serve starts a loopback server for the test.
func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// testConfig is a configuration for base with Basic auth, waits recorded (not spent) and no local
// rate limiting worth the name.
func testConfig(base string, w *waits) Config {
	return Config{
		Name: "test", BaseURL: base, Auth: Basic("u", "p"), Sleep: w.Sleep,
		RequestsPerSecond: 1e6, Burst: 1000, Breaker: BreakerPolicy{Failures: 1000},
	}
}

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// get sends a GET for path under the client's base and reads the answer.
func get(ctx context.Context, c *Client, path string) (string, error) {
	resp, err := c.Do(ctx, Request{Method: http.MethodGet, URL: c.Endpoint(nil, path)})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *remote.Error", err, err)
	}
	return e
}
