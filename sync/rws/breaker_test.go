package rws

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestBreakerOpensAndHalfOpens drives the breaker against a real loopback server that fails, then
// recovers: the breaker opens after the configured failures and then answers without touching the
// network; after OpenFor one probe goes through, and its success closes the breaker again.
func TestBreakerOpensAndHalfOpens(t *testing.T) {
	var failing atomic.Bool
	var hits atomic.Int64
	failing.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if failing.Load() {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("HTTP 503 Service Temporarily Unavailable"))
			return
		}
		_, _ = w.Write([]byte("1.0.0"))
	}))
	t.Cleanup(srv.Close)

	states := make(chan string, 10)
	const openFor = 50 * time.Millisecond
	w := &waits{}
	c := newClient(t, Config{
		BaseURL: srv.URL, Auth: BasicAuth("u", "p"), Sleep: w.Sleep,
		Retry: RetryPolicy{MaxAttempts: 2},
		// No local rate limiting here: its real waits would let the open period pass unnoticed.
		RequestsPerSecond: 1e6, Burst: 100,
		Breaker: BreakerPolicy{Failures: 3, OpenFor: openFor, OnStateChange: func(_, to string) { states <- to }},
	})
	ctx := t.Context()

	// Two requests of two attempts each: the third failed attempt opens the breaker, so the fourth
	// attempt is refused locally.
	for range 2 {
		if _, err := c.Version(ctx); err == nil {
			t.Fatal("failing server gave no error")
		}
	}
	if got := <-states; got != "open" {
		t.Fatalf("state %q, want open", got)
	}
	if c.BreakerState() != "open" || hits.Load() != 3 {
		t.Fatalf("state %s after %d hits", c.BreakerState(), hits.Load())
	}
	before := hits.Load()
	_, err := c.Version(ctx)
	if !errors.Is(err, ErrCircuitOpen) || !Retryable(err) || hits.Load() != before {
		t.Fatalf("open breaker: err %v, hits %d -> %d", err, before, hits.Load())
	}

	// A failing probe opens it again.
	time.Sleep(openFor + 10*time.Millisecond) // let the open period pass
	// Its second attempt meets the breaker open again.
	if _, err = c.Version(ctx); !errors.Is(err, ErrCircuitOpen) || hits.Load() != before+1 {
		t.Fatalf("failing probe: %v after %d hits", err, hits.Load()-before)
	}
	if got := []string{<-states, <-states}; got[0] != "half-open" || got[1] != "open" {
		t.Fatalf("states %v, want half-open then open", got)
	}

	// Recovery: the next probe succeeds and closes the breaker.
	failing.Store(false)
	time.Sleep(openFor + 10*time.Millisecond)
	if v, err := c.Version(ctx); err != nil || v != "1.0.0" {
		t.Fatalf("recovered probe: %q, %v", v, err)
	}
	if got := []string{<-states, <-states}; got[0] != "half-open" || got[1] != "closed" {
		t.Fatalf("states %v, want half-open then closed", got)
	}
}

// TestBreakerIgnoresClientErrors: a tenant that answers 404s and bad logins is up; those answers
// must not open the breaker.
func TestBreakerIgnoresClientErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`<Response ReferenceNumber="x" IsTransactionSuccessful="0" ReasonCode="RWS00014" ErrorClientResponseMessage="Study not found."></Response>`))
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, Config{BaseURL: srv.URL, Auth: BasicAuth("u", "p"), Breaker: BreakerPolicy{Failures: 2}})
	for range 5 {
		if _, err := c.Studies(t.Context()); !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v", err)
		}
	}
	if c.BreakerState() != "closed" {
		t.Fatalf("breaker %s after 404s", c.BreakerState())
	}
}
