package remote

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// TestBackoffSequence checks the policy's waits: exponential, within ±20 %, never above 32 s.
func TestBackoffSequence(t *testing.T) {
	p := RetryPolicy{}.withDefaults()
	for run := range 50 {
		b := p.backOff()
		nominal := p.InitialInterval
		for i := range 12 {
			d := b.NextBackOff()
			lo, hi := time.Duration(float64(nominal)*0.8), min(time.Duration(float64(nominal)*1.2), 32*time.Second)
			if d < lo || d > hi {
				t.Fatalf("run %d wait %d = %v, want within [%v, %v]", run, i, d, lo, hi)
			}
			nominal = min(nominal*2, 32*time.Second)
		}
	}
}

// TestWait: the wait after attempt n is the sequence's nth, the policy's zero fields defaulted.
func TestWait(t *testing.T) {
	cases := []struct {
		name    string
		p       RetryPolicy
		n       int
		nominal time.Duration
		max     time.Duration
	}{
		{"first, defaults", RetryPolicy{}, 1, time.Second, 32 * time.Second},
		{"fourth, defaults", RetryPolicy{}, 4, 8 * time.Second, 32 * time.Second},
		{"capped, defaults", RetryPolicy{}, 9, 32 * time.Second, 32 * time.Second},
		{"own interval", RetryPolicy{InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond}, 2, 2 * time.Millisecond, 5 * time.Millisecond},
		{"own cap", RetryPolicy{InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond}, 4, 5 * time.Millisecond, 5 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi := time.Duration(float64(tc.nominal)*0.8), min(time.Duration(float64(tc.nominal)*1.2), tc.max)
			for range 50 {
				if d := tc.p.Wait(tc.n); d < lo || d > hi {
					t.Fatalf("Wait(%d) = %v, want within [%v, %v]", tc.n, d, lo, hi)
				}
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		h    string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{" 0 ", 0, true},
		{"Sat, 01 Mar 2025 12:00:45 GMT", 45 * time.Second, true},
		{"Sat, 01 Mar 2025 11:00:00 GMT", 0, true},
		{"-5", 0, false},
		{"soon", 0, false},
		{"", 0, false},
	} {
		t.Run(fmt.Sprintf("%q", tc.h), func(t *testing.T) {
			d, ok := parseRetryAfter(tc.h, now)
			if d != tc.want || ok != tc.ok {
				t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tc.h, d, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestStatusClasses: what is retried (and how long it waits) for each kind of answer, against a real
// loopback server that fails a given number of times before answering.
func TestStatusClasses(t *testing.T) {
	cases := []struct {
		name       string
		status     int
		header     map[string]string
		failures   int // answers of status before a 200
		wantOK     bool
		wantCalls  int64
		wantWaits  []time.Duration // exact waits, or nil to check only their count (backoff)
		wantIs     error
		retryable  bool
		idempotent bool // the request carries an Idempotency-Key
	}{
		{name: "429 then ok", status: 429, failures: 2, wantOK: true, wantCalls: 3},
		{name: "503 then ok", status: 503, failures: 3, wantOK: true, wantCalls: 4},
		{name: "408 then ok", status: 408, failures: 1, wantOK: true, wantCalls: 2},
		{name: "Retry-After seconds", status: 429, header: map[string]string{"Retry-After": "7"}, failures: 1, wantOK: true, wantCalls: 2, wantWaits: []time.Duration{7 * time.Second}},
		{name: "Retry-After beyond the cap is returned", status: 503, header: map[string]string{"Retry-After": "3600"}, failures: 5, wantCalls: 1, wantIs: ErrUnavailable, retryable: true},
		{name: "503 for ever", status: 503, failures: 100, wantCalls: 4, wantIs: ErrUnavailable, retryable: true},
		{name: "501 is final", status: 501, failures: 1, wantCalls: 1, retryable: false},
		{name: "404 is final", status: 404, failures: 1, wantCalls: 1, retryable: false},
		{name: "409 without a key is final", status: 409, failures: 1, wantCalls: 1, retryable: false},
		{name: "409 with a key is retried", status: 409, failures: 1, wantOK: true, wantCalls: 2, idempotent: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int64
			var keys atomic.Int64
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Idempotency-Key") == "k-1" {
					keys.Add(1)
				}
				if calls.Add(1) <= int64(tc.failures) {
					for k, v := range tc.header {
						w.Header().Set(k, v)
					}
					w.WriteHeader(tc.status)
					_, _ = io.WriteString(w, "try later")
					return
				}
				_, _ = io.WriteString(w, "ok")
			})
			w := &waits{}
			cfg := testConfig(srv.URL, w)
			cfg.Retry = RetryPolicy{MaxAttempts: 4, MaxRetryAfter: time.Minute}
			c := newClient(t, cfg)
			r := Request{Method: http.MethodPut, URL: c.Endpoint(nil, "x"), Body: []byte("{}")}
			if tc.idempotent {
				r.IdempotencyKey = "k-1"
			}
			resp, err := c.Do(t.Context(), r)
			if tc.wantOK {
				if err != nil {
					t.Fatalf("Do: %v", err)
				}
				_ = resp.Body.Close()
			} else {
				e := asError(t, err)
				if e.Status != tc.status || e.Retryable != tc.retryable || Retryable(err) != tc.retryable || e.Message != "try later" {
					t.Fatalf("error %+v", e)
				}
				if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
					t.Errorf("%v does not match %v", err, tc.wantIs)
				}
				if IsFatal(err) {
					t.Errorf("%v is fatal", err)
				}
			}
			if calls.Load() != tc.wantCalls {
				t.Errorf("%d calls, want %d", calls.Load(), tc.wantCalls)
			}
			if tc.idempotent && keys.Load() != calls.Load() {
				t.Errorf("Idempotency-Key sent on %d of %d calls", keys.Load(), calls.Load())
			}
			got := w.All()
			if int64(len(got)) != min(tc.wantCalls-1, int64(tc.failures)) {
				t.Errorf("waits %v for %d calls", got, tc.wantCalls)
			}
			if tc.wantWaits != nil && fmt.Sprint(got) != fmt.Sprint(tc.wantWaits) {
				t.Errorf("waits %v, want %v", got, tc.wantWaits)
			}
			for _, d := range got {
				if d > 32*time.Second {
					t.Errorf("wait %v above the 32 s cap", d)
				}
			}
		})
	}
}

// TestPostResentOnlyWithKey: a POST whose answer is lost (the connection cut after the server read
// it) is not sent again without an Idempotency-Key (the server may have processed it; the caller
// decides), and is sent again with one (the server replays the first result).
func TestPostResentOnlyWithKey(t *testing.T) {
	for _, key := range []string{"", "key-7"} {
		t.Run(fmt.Sprintf("key %q", key), func(t *testing.T) {
			var calls atomic.Int64
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.ReadAll(r.Body)
				if calls.Add(1) == 1 {
					hj, ok := w.(http.Hijacker)
					if !ok {
						t.Error("no hijacker")
						return
					}
					conn, _, _ := hj.Hijack()
					_ = conn.Close() // processed, but the answer is lost
					return
				}
				_, _ = io.WriteString(w, "done")
			})
			c := newClient(t, testConfig(srv.URL, &waits{}))
			resp, err := c.Do(t.Context(), Request{Method: http.MethodPost, URL: c.Endpoint(nil, "send"), Body: []byte("x"), IdempotencyKey: key})
			if key == "" {
				if err == nil || !Retryable(err) || IsOffline(err) || calls.Load() != 1 {
					t.Fatalf("err %v, %d calls", err, calls.Load())
				}
				return
			}
			if err != nil || calls.Load() != 2 {
				t.Fatalf("err %v, %d calls", err, calls.Load())
			}
			_ = resp.Body.Close()
		})
	}
}

// TestRetryAfterDate: a Retry-After given as an HTTP date is waited out until that date.
func TestRetryAfterDate(t *testing.T) {
	var calls atomic.Int64
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", time.Now().Add(90*time.Second).UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	w := &waits{}
	c := newClient(t, testConfig(srv.URL, w))
	if _, err := get(t.Context(), c, "x"); err != nil {
		t.Fatal(err)
	}
	// The date has whole seconds and the request took some time: the wait lies a little under 90 s.
	if got := w.All(); len(got) != 1 || got[0] < 80*time.Second || got[0] > 90*time.Second {
		t.Fatalf("waits %v, want one of about 90 s", got)
	}
}
