package remote

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBreakerState: repeated failures open the breaker, which the State shows with the last failure in
// words and the wait; requests then fail at once with a hint of how long remains; once the remote
// recovers, the next probe closes it and the State is online again.
func TestBreakerState(t *testing.T) {
	var failing atomic.Bool
	failing.Store(true)
	var hits atomic.Int64
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if failing.Load() {
			http.Error(w, "HTTP 503 Service Temporarily Unavailable", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	const openFor = 300 * time.Millisecond
	cfg := testConfig(srv.URL, &waits{})
	cfg.Name = "sureadhere"
	cfg.Retry = RetryPolicy{MaxAttempts: 3}
	cfg.Breaker = BreakerPolicy{Failures: 3, OpenFor: openFor}
	c := newClient(t, cfg)

	_, changed := c.Watch()
	if _, err := get(t.Context(), c, "x"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("failing remote: %v", err)
	}
	<-changed
	st := c.State()
	if st.State != StateBreakerOpen || !strings.Contains(st.LastError, "503 Service Unavailable") || !strings.Contains(st.LastError, "trying again in") {
		t.Fatalf("state %+v", st)
	}
	before := hits.Load()
	_, err := get(t.Context(), c, "x")
	e := asError(t, err)
	if !errors.Is(err, ErrCircuitOpen) || !Retryable(err) || e.RetryAfter <= 0 || e.RetryAfter > openFor || hits.Load() != before {
		t.Fatalf("open breaker: %v (retry after %v), %d hits", err, e.RetryAfter, hits.Load()-before)
	}

	failing.Store(false)
	time.Sleep(openFor + 50*time.Millisecond) // let the open period pass
	if body, err := get(t.Context(), c, "x"); err != nil || body != "ok" {
		t.Fatalf("after recovery: %q, %v", body, err)
	}
	if st := c.State(); st.State != StateOnline || st.LastError != "" {
		t.Fatalf("state after recovery %+v", st)
	}
}

// TestRateLimitKeepsBreakerClosed: a storm of 429s is waited out as the remote asks (Retry-After), not
// counted as an outage: the breaker stays closed and the request succeeds when the storm passes.
func TestRateLimitKeepsBreakerClosed(t *testing.T) {
	var hits atomic.Int64
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) <= 6 {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	w := &waits{}
	cfg := testConfig(srv.URL, w)
	cfg.Retry = RetryPolicy{MaxAttempts: 10}
	cfg.Breaker = BreakerPolicy{Failures: 3, OpenFor: time.Hour}
	c := newClient(t, cfg)
	if body, err := get(t.Context(), c, "x"); err != nil || body != "ok" {
		t.Fatalf("through a storm of six 429s: %q, %v", body, err)
	}
	if st := c.State(); st.State != StateOnline || c.BreakerState() != "closed" || hits.Load() != 7 {
		t.Fatalf("after the storm: %+v, breaker %s, %d requests", st, c.BreakerState(), hits.Load())
	}
}

// TestSharedByEngines: several engines share one client at once (run with -race): every request
// succeeds through the retries, and the remote never sees more requests in flight than the bound.
func TestSharedByEngines(t *testing.T) {
	var inFlight, peak, n atomic.Int64
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		now := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if now <= p || peak.CompareAndSwap(p, now) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		if n.Add(1)%5 == 0 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, r.URL.Path)
	})
	cfg := testConfig(srv.URL, &waits{})
	cfg.MaxConcurrent = 3
	c := newClient(t, cfg)
	var wg sync.WaitGroup
	errs := make(chan error, 6*25)
	for engine := range 6 {
		wg.Go(func() {
			for i := range 25 {
				path := "e" + string(rune('a'+engine)) + "/" + string(rune('a'+i))
				body, err := get(t.Context(), c, path)
				if err == nil && body != "/"+path {
					err = errors.New("answer " + body + " for " + path)
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if peak.Load() > 3 || peak.Load() < 2 {
		t.Errorf("peak in flight %d, want 2..3", peak.Load())
	}
}
