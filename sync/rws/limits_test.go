package rws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/trialsync/trialsync/sync/remote"
	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

// TestServerRateLimitHonoured: X-RateLimit-Remaining: 0 holds the next request until the window
// resets (the computed hold is observed, not spent).
func TestServerRateLimitHonoured(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		remaining := 5 - n.Add(1)
		w.Header().Set("X-RateLimit-Remaining", fmt.Sprint(max(remaining, 0)))
		w.Header().Set("X-RateLimit-Reset", "9")
		_, _ = w.Write([]byte("1.0.0"))
	}))
	t.Cleanup(srv.Close)
	w := &waits{}
	// A local limiter of one request per hour: only the server's budget can let four through.
	c := newClient(t, Config{BaseURL: srv.URL, Auth: BasicAuth("u", "p"), Sleep: w.Sleep, RequestsPerSecond: 1.0 / 3600, Burst: 1})
	for range 4 {
		if _, err := c.Version(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if rem, ok := c.RateLimitRemaining(); !ok || rem != 1 || len(w.All()) != 0 {
		t.Fatalf("remaining %d %v, waits %v", rem, ok, w.All())
	}
	if _, err := c.Version(t.Context()); err != nil { // answer says 0 remain
		t.Fatal(err)
	}
	if _, err := c.Version(t.Context()); err != nil { // must wait for the reset first
		t.Fatal(err)
	}
	got := w.All()
	if len(got) != 1 || got[0] < 8*time.Second || got[0] > 9*time.Second {
		t.Fatalf("waits %v, want one hold of about 9s", got)
	}
}

// TestLocalLimiterFallback: without server headers, the local limiter spaces requests out.
func TestLocalLimiterFallback(t *testing.T) {
	s := startSim(t, simrws.Options{})
	cfg := testConfig(s, &waits{})
	cfg.RequestsPerSecond, cfg.Burst = 1000, 1
	c := newClient(t, cfg)
	if _, ok := c.RateLimitRemaining(); ok {
		t.Fatal("simulator sent no rate-limit headers, yet the client knows a remaining count")
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Millisecond/2)
	defer cancel()
	if _, err := c.Version(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The burst is spent; the next token is 1 ms away, beyond this context's deadline.
	if _, err := c.Version(ctx); err == nil {
		t.Fatal("limiter let a second request through within its burst of 1")
	}
}

// TestConcurrencyBounded: a request holds its slot until its body is closed.
func TestConcurrencyBounded(t *testing.T) {
	s := startSim(t, simrws.Options{})
	cfg := testConfig(s, &waits{})
	cfg.MaxConcurrent = 2
	c := newClient(t, cfg)
	ctx := t.Context()
	a, err := c.Dataset(ctx, "ALPHA(Prod)", "DM", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Dataset(ctx, "ALPHA(Prod)", "VS", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	before := s.Requests()
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := c.Dataset(short, "ALPHA(Prod)", "AE", time.Time{}); !errors.Is(err, context.DeadlineExceeded) || s.Requests() != before {
		t.Fatalf("third request with both slots held: %v, requests %d -> %d", err, before, s.Requests())
	}
	_ = a.Body.Close()
	p, err := c.Dataset(ctx, "ALPHA(Prod)", "AE", time.Time{})
	if err != nil {
		t.Fatalf("after a slot was freed: %v", err)
	}
	_ = p.Body.Close()
	_ = b.Body.Close()
}

func TestIsOffline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	w := &waits{}
	c := newClient(t, Config{BaseURL: "http://" + addr, Auth: BasicAuth("u", "p"), Sleep: w.Sleep, Retry: RetryPolicy{MaxAttempts: 3}})
	t.Cleanup(func() { _ = c.Close() })
	// Offline is a state, not a slow failure: no attempt is spent on retries.
	_, err = c.Version(t.Context())
	if !IsOffline(err) || !Retryable(err) || len(w.All()) != 0 || asError(t, err).Status != 0 {
		t.Fatalf("refused connection: offline %v retryable %v waits %v: %v", IsOffline(err), Retryable(err), w.All(), err)
	}
	var off *remote.OfflineError
	if !errors.As(err, &off) || off.Ready() == nil || c.Remote().State().State != remote.StateOffline {
		t.Fatalf("the offline error carries no Ready channel, or the state is %+v", c.Remote().State())
	}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&net.DNSError{Err: "no such host", Name: "rave.invalid", IsNotFound: true}, true},
		{fmt.Errorf("dial: %w", &net.OpError{Op: "dial", Err: syscall.EHOSTUNREACH}), true},
		{fmt.Errorf("dial: %w", syscall.ENETUNREACH), true},
		{syscall.ECONNRESET, false},
		{&Error{Status: 503}, false},
		{context.Canceled, false},
		{nil, false},
	} {
		if got := IsOffline(tc.err); got != tc.want {
			t.Errorf("IsOffline(%v) = %v", tc.err, got)
		}
	}
}

// TestPostSentOnce: a post is sent once whatever happens — its answer lost after RWS applied it, or
// a 503 before processing — and comes back retryable for the outbox, which owns the retries and
// counts them against [exposure] max_attempts.
func TestPostSentOnce(t *testing.T) {
	doc := []byte(postHeader + `<ClinicalData StudyOID="ALPHA(Prod)"><SubjectData SubjectKey="101-001"><StudyEventData StudyEventOID="VISIT" StudyEventRepeatKey="1"><FormData FormOID="VS"><ItemGroupData ItemGroupOID="VS"><ItemData ItemOID="VS.TEMP" Value="39.9"/></ItemGroupData></FormData></StudyEventData></SubjectData></ClinicalData></ODM>`)
	t.Run("answer lost", func(t *testing.T) {
		s := startSim(t, simrws.Options{Faults: "drop:1"})
		c := newClient(t, testConfig(s, &waits{}))
		_, err := c.PostClinicalData(t.Context(), doc)
		if err == nil || !Retryable(err) || IsOffline(err) {
			t.Fatalf("err = %v", err)
		}
		if s.Count("post") != 1 {
			t.Fatalf("post sent %d times", s.Count("post"))
		}
		if v, _, _ := s.Value(simrws.ItemKey{Subject: "101-001", Event: "VISIT", EventRepeat: "1", Form: "VS", ItemGroup: "VS", Item: "VS.TEMP"}); v != "39.9" {
			t.Fatalf("value %q: the lost answer's transaction was applied", v)
		}
	})
	t.Run("refused before processing", func(t *testing.T) {
		s := startSim(t, simrws.Options{Faults: "503burst:2@1"})
		w := &waits{}
		c := newClient(t, testConfig(s, w))
		_, err := c.PostClinicalData(t.Context(), doc)
		var e *Error
		if !errors.As(err, &e) || e.Status != 503 || !Retryable(err) || !errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %v, want a retryable 503", err)
		}
		if s.Count("503") != 1 || s.Count("post") != 0 {
			t.Fatalf("503s %d, processed %d: want one request, not processed", s.Count("503"), s.Count("post"))
		}
		res, err := c.PostClinicalData(t.Context(), doc) // the outbox's next attempt
		if err == nil || s.Count("503") != 2 {
			t.Fatalf("second attempt: res %+v err %v", res, err)
		}
		if res, err = c.PostClinicalData(t.Context(), doc); err != nil || res.Fields() != 1 {
			t.Fatalf("third attempt: res %+v err %v", res, err)
		}
	})
}
