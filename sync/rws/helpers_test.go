package rws

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"testing"

	"github.com/trialsync/trialsync/sync/remote/remotetest"
	simrws "github.com/trialsync/trialsync/sync/sim/rws"
	"github.com/trialsync/trialsync/sync/sim/simtest"
)

// startSim runs an RWS simulator for the test.
func startSim(t *testing.T, opts simrws.Options) *simrws.Server {
	return simtest.Start(t, simrws.Start, opts)
}

// waits records the waits the client computed instead of spending them.
type waits = remotetest.Waits

// testConfig is a client configuration for s with Basic auth and waits recorded, not spent.
func testConfig(s *simrws.Server, w *waits) Config {
	o := s.Options()
	return Config{
		BaseURL:           s.URL(),
		Auth:              BasicAuth(o.User, o.Password),
		Sleep:             w.Sleep,
		RequestsPerSecond: 10000,
		Burst:             1000,
		Retry:             RetryPolicy{MaxAttempts: 10},
		Breaker:           BreakerPolicy{Failures: 1000},
	}
}

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// readAll reads a page body to its end and closes it.
func readAll(p *Page) ([]byte, error) {
	defer p.Body.Close()
	return io.ReadAll(p.Body)
}

// fetchRetrying fetches and reads a page, fetching it again when reading the body fails in a
// retryable way (a cut connection, a truncated document), as the pull engine does per page.
func fetchRetrying(t *testing.T, fetch func() (*Page, error)) (*Page, []byte, []error) {
	t.Helper()
	var bodyErrs []error
	for range 20 {
		p, err := fetch()
		if err != nil {
			t.Fatalf("fetch: %v", err)
		}
		b, err := readAll(p)
		if err == nil {
			return p, b, bodyErrs
		}
		if !Retryable(err) {
			t.Fatalf("reading body: non-retryable %v", err)
		}
		bodyErrs = append(bodyErrs, err)
	}
	t.Fatalf("page still failing after 20 fetches: %v", bodyErrs[len(bodyErrs)-1])
	return nil, nil, nil
}

var volatile = regexp.MustCompile(`(FileOID|CreationDateTime)="[^"]*"`)

// stable drops the attributes that differ between two answers with the same content.
func stable(b []byte) []byte { return volatile.ReplaceAll(b, nil) }

// auditPull reads the whole audit feed of the simulator's study and returns the page bodies
// (stabilised), the number of pages and the body errors met.
func auditPull(t *testing.T, c *Client, study string, perPage int) (pages [][]byte, bodyErrs []error) {
	t.Helper()
	ctx := t.Context()
	fetch := func() (*Page, error) { return c.AuditRecords(ctx, study, 1, perPage) }
	for {
		p, b, errs := fetchRetrying(t, fetch)
		bodyErrs = append(bodyErrs, errs...)
		pages = append(pages, stable(b))
		if p.Next == "" {
			return pages, bodyErrs
		}
		next := p.Next
		fetch = func() (*Page, error) { return c.FollowNext(ctx, next) }
	}
}

func countRecords(pages [][]byte) int {
	n := 0
	for _, p := range pages {
		n += bytes.Count(p, []byte("<ClinicalData "))
	}
	return n
}

func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *rws.Error", err, err)
	}
	return e
}

func regexpMust(s string) *regexp.Regexp { return regexp.MustCompile(s) }
