package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestOfflineIsAState: a remote whose port is closed is offline within 2 s: the request fails at once
// with an *OfflineError, no retry is spent and the breaker does not count it; every request made while
// it is offline fails the same way without touching the network; the State says so to every watcher;
// and when a server starts listening on that port, the probe notices, Ready is closed and requests
// go through again.
func TestOfflineIsAState(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now

	w := &waits{}
	cfg := testConfig("http://"+addr, w)
	cfg.Name = "rave"
	cfg.ProbeEvery = 20 * time.Millisecond
	cfg.Breaker = BreakerPolicy{Failures: 1} // one counted failure would open it
	c := newClient(t, cfg)
	before, changed := c.Watch()
	if before.State != StateOnline {
		t.Fatalf("new client %+v", before)
	}

	within, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	_, err = get(within, c, "x")
	var off *OfflineError
	if !errors.As(err, &off) || !errors.Is(err, ErrOffline) || !IsOffline(err) || !Retryable(err) || IsFatal(err) {
		t.Fatalf("closed port: %v", err)
	}
	if within.Err() != nil {
		t.Fatalf("offline took longer than 2 s: %v", err)
	}
	if len(w.All()) != 0 || c.BreakerState() != "closed" {
		t.Fatalf("offline spent waits %v, breaker %s", w.All(), c.BreakerState())
	}
	select {
	case <-changed:
	default:
		t.Fatal("watchers were not told")
	}
	st := c.State()
	if st.Name != "rave" || st.State != StateOffline || !strings.Contains(st.LastError, "refused the connection") || st.Since.IsZero() {
		t.Fatalf("state %+v", st)
	}
	if !strings.Contains(err.Error(), "rave: GET x: offline since") {
		t.Errorf("error %q", err)
	}

	// Several engines sharing the client all fail at once, on the same Ready.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { _, errs[i] = get(t.Context(), c, "x") })
	}
	wg.Wait()
	for _, err := range errs {
		var again *OfflineError
		if !errors.As(err, &again) || again.Ready() != off.Ready() {
			t.Fatalf("request while offline: %v", err)
		}
	}
	if len(w.All()) != 0 {
		t.Fatalf("waits %v while offline", w.All())
	}

	// The remote comes back on the same port.
	var back net.Listener
	for range 50 {
		if back, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "back") })}
	go func() { _ = srv.Serve(back) }()
	t.Cleanup(func() { _ = srv.Close() })
	select {
	case <-off.Ready():
	case <-time.After(30 * time.Second): // a failsafe, far beyond the probe interval
		t.Fatal("Ready not closed after the remote came back")
	}
	if st := c.State(); st.State != StateOnline || st.LastError != "" {
		t.Fatalf("state after the return %+v", st)
	}
	if body, err := get(t.Context(), c, "x"); err != nil || body != "back" {
		t.Fatalf("after the return: %q, %v", body, err)
	}
	if len(w.All()) != 0 || c.BreakerState() != "closed" {
		t.Fatalf("waits %v, breaker %s", w.All(), c.BreakerState())
	}
}

// TestWatchBroadcasts: every watcher is woken by a change, not just one of them.
func TestWatchBroadcasts(t *testing.T) {
	tr := newTracker("x")
	_, a := tr.watch()
	_, b := tr.watch()
	tr.goOffline(syscall.ECONNREFUSED, "refused")
	for i, ch := range []<-chan struct{}{a, b} {
		select {
		case <-ch:
		default:
			t.Errorf("watcher %d not woken", i)
		}
	}
	st, c := tr.watch()
	tr.goOffline(syscall.ECONNREFUSED, "refused") // no change: nobody is woken
	select {
	case <-c:
		t.Error("woken without a change")
	default:
	}
	if st.State != StateOffline {
		t.Errorf("state %+v", st)
	}
}

func TestUnreachable(t *testing.T) {
	for _, tc := range []struct {
		err   error
		want  bool
		words string
	}{
		{&net.DNSError{Err: "no such host", Name: "rave.invalid", IsNotFound: true}, true, "does not resolve"},
		{&net.DNSError{Err: "timeout", Name: "rave.invalid", IsTimeout: true}, true, "no name server answered"},
		{fmt.Errorf("dial: %w", &net.OpError{Op: "dial", Err: syscall.EHOSTUNREACH}), true, "no route to"},
		{fmt.Errorf("dial: %w", syscall.ENETUNREACH), true, "network is unreachable"},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true, "refused the connection"},
		{&net.OpError{Op: "dial", Err: timeoutErr{}}, true, "did not accept a connection in time"},
		{&net.OpError{Op: "read", Err: syscall.ECONNRESET}, false, ""},
		{syscall.ECONNRESET, false, ""},
		{&Error{Status: 503}, false, ""},
		{context.Canceled, false, ""},
		{nil, false, ""},
	} {
		if got := unreachable(tc.err); got != tc.want {
			t.Errorf("unreachable(%v) = %v", tc.err, got)
		}
		if tc.want && !strings.Contains(unreachableWords("h:1", tc.err), tc.words) {
			t.Errorf("words for %v: %q", tc.err, unreachableWords("h:1", tc.err))
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestProbeSurvivesAnAnswerMeanwhile: while the probe is out, a request already in flight gets an
// answer (the remote is online again), and then the probe's own HEAD finds the remote unreachable
// (offline again). That is a new offline spell, and the probe must keep watching it: if it left, no
// one would ever close the new Ready, and every request would fail offline until a restart.
func TestProbeSurvivesAnAnswerMeanwhile(t *testing.T) {
	var (
		c           *Client
		mu          sync.Mutex
		heads       int
		up          bool
		secondProbe = make(chan struct{})
	)
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		defer mu.Unlock()
		if r.Method == http.MethodHead {
			heads++
			switch heads {
			case 1:
				c.state.answered() // a request in flight was answered while this probe was out
				up = true          // and from now on the remote does answer
				return nil, refused
			case 2:
				close(secondProbe)
			}
		}
		if !up {
			return nil, refused
		}
		return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader("ok")), Header: http.Header{}, Request: r}, nil
	})
	cfg := testConfig("http://127.0.0.1:1", &waits{})
	cfg.HTTPClient = &http.Client{Transport: rt}
	cfg.ProbeEvery = 10 * time.Millisecond
	c = newClient(t, cfg)

	if _, err := get(t.Context(), c, "x"); !IsOffline(err) {
		t.Fatalf("first request: %v, want offline", err)
	}
	select {
	case <-secondProbe:
	case <-time.After(30 * time.Second): // a failsafe, far beyond the probe interval
		t.Fatal("the probe stopped after its first HEAD: the remote stays offline for good")
	}
	for {
		st, changed := c.Watch()
		if st.State == StateOnline {
			break
		}
		select {
		case <-changed:
		case <-time.After(30 * time.Second):
			t.Fatalf("state %+v after the remote answered the probe", st)
		}
	}
	if body, err := get(t.Context(), c, "x"); err != nil || body != "ok" {
		t.Fatalf("after the return: %q, %v", body, err)
	}
}
