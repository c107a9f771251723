package rws

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/trialsync/trialsync/sync/remote"
	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

// TestFaultClasses pulls the whole audit feed and the full dataset from a simulator with one fault
// class switched on, and checks that the result equals the fault-free pull byte for byte (apart from
// FileOID and CreationDateTime), that the fault really happened, and how the client classified it.
func TestFaultClasses(t *testing.T) {
	base := simrws.Options{Seed: 21, SubjectsPerSite: 3, Visits: 2}
	clean := startSim(t, base)
	wantPages, _ := auditPull(t, newClient(t, testConfig(clean, &waits{})), "ALPHA(Prod)", 500)
	wantDataset := datasetBody(t, newClient(t, testConfig(clean, &waits{})))

	cases := []struct {
		faults  string
		counter string
		bearer  bool
		timeout time.Duration
		check   func(t *testing.T, retries []RetryEvent, bodyErrs []error)
	}{
		{faults: "429:0.3", counter: "429", check: func(t *testing.T, retries []RetryEvent, _ []error) {
			expectRetried(t, retries, ErrRateLimited)
		}},
		{faults: "503burst:3@0.2", counter: "503", check: func(t *testing.T, retries []RetryEvent, _ []error) {
			expectRetried(t, retries, ErrUnavailable)
		}},
		{faults: "iis401:0.2", counter: "iis401", check: func(t *testing.T, retries []RetryEvent, _ []error) {
			expectRetried(t, retries, ErrUnauthorized)
		}},
		{faults: "drop:0.3", counter: "drop", check: func(t *testing.T, _ []RetryEvent, bodyErrs []error) {
			expectBodyErrors(t, bodyErrs, func(err error) bool { return !errors.Is(err, ErrTruncated) && asError(t, err).Retryable })
		}},
		{faults: "truncate:0.3", counter: "truncate", check: func(t *testing.T, _ []RetryEvent, bodyErrs []error) {
			expectBodyErrors(t, bodyErrs, func(err error) bool { return errors.Is(err, ErrTruncated) })
		}},
		{faults: "slow:300ms@0.3", counter: "slow", timeout: 100 * time.Millisecond, check: func(t *testing.T, retries []RetryEvent, _ []error) {
			expectRetried(t, retries, remote.ErrTimeout)
		}},
		{faults: "expire:250ms,slow:60ms", counter: "expired", bearer: true, check: func(t *testing.T, _ []RetryEvent, _ []error) {}},
	}
	for _, tc := range cases {
		t.Run(tc.faults, func(t *testing.T) {
			opts := base
			opts.Faults = tc.faults
			s := startSim(t, opts)
			var (
				retries []RetryEvent
				rotated []string
			)
			cfg := testConfig(s, &waits{})
			cfg.OnRetry = func(ev RetryEvent) { retries = append(retries, ev) }
			cfg.Timeout = tc.timeout
			if tc.bearer {
				o := s.Options()
				cfg.Auth = OAuth2ClientCredentials(s.TokenURL(), o.ClientID, o.ClientSecret)
				cfg.OnTokenRotated = func(fp string) { rotated = append(rotated, fp) }
			}
			c := newClient(t, cfg)
			gotPages, bodyErrs := auditPull(t, c, "ALPHA(Prod)", 500)
			if !slices.EqualFunc(gotPages, wantPages, bytes.Equal) {
				t.Fatalf("audit feed differs from the fault-free pull (%d pages, want %d)", len(gotPages), len(wantPages))
			}
			if got := datasetBody(t, c); !bytes.Equal(got, wantDataset) {
				t.Fatal("dataset differs from the fault-free pull")
			}
			if s.Count(tc.counter) == 0 {
				t.Fatalf("fault %q never happened", tc.counter)
			}
			if tc.bearer && len(rotated) < 2 {
				t.Errorf("token rotated %d times; an expired token must be replaced", len(rotated))
			}
			tc.check(t, retries, bodyErrs)
		})
	}
}

func datasetBody(t *testing.T, c *Client) []byte {
	t.Helper()
	_, b, _ := fetchRetrying(t, func() (*Page, error) { return c.Dataset(t.Context(), "ALPHA(Prod)", "", time.Time{}) })
	return stable(b)
}

func expectRetried(t *testing.T, retries []RetryEvent, want error) {
	t.Helper()
	if len(retries) == 0 {
		t.Fatal("no retries")
	}
	for _, r := range retries {
		if !errors.Is(r.Err, want) {
			t.Errorf("retried on %v, want only %v", r.Err, want)
		}
		if r.Wait > 32*time.Second {
			t.Errorf("wait %v above the 32 s cap", r.Wait)
		}
	}
}

func expectBodyErrors(t *testing.T, errs []error, ok func(error) bool) {
	t.Helper()
	if len(errs) == 0 {
		t.Fatal("no body errors met")
	}
	for _, err := range errs {
		if !ok(err) || !Retryable(err) {
			t.Errorf("body error %v classified wrongly", err)
		}
	}
}

// TestRetryAfterHonoured checks the wait the client computes for a 429 with Retry-After, without
// spending it (both forms of the header are read in package remote's tests).
func TestRetryAfterHonoured(t *testing.T) {
	s := startSim(t, simrws.Options{Faults: "429ra:0.5@7s"})
	w := &waits{}
	c := newClient(t, testConfig(s, w))
	for range 10 {
		if _, err := c.Studies(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	got := w.All()
	if s.Count("429") == 0 || len(got) != s.Count("429") {
		t.Fatalf("%d waits for %d 429s", len(got), s.Count("429"))
	}
	for _, d := range got {
		if d != 7*time.Second {
			t.Errorf("waited %v, Retry-After said 7s", d)
		}
	}
}
