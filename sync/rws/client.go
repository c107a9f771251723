package rws

import (
	"net/url"
	"strings"

	"github.com/trialsync/trialsync/sync/remote"
)

// Config configures a Client: it is remote.Config (BaseURL, Auth, OnTokenRotated, Fingerprint, Timeout,
// Retry, Breaker, …), since everything but the endpoints is the behaviour every remote shares. For RWS,
// BaseURL is the tenant's RWS root, e.g. "https://acme.mdsol.com/RaveWebServices" (a URL without the
// /RaveWebServices path gets it appended); Name defaults to "rave", UserAgent to "trialsync-rws", and
// ErrorBody is always RWS's own reader of its four error shapes.
type Config = remote.Config

// RetryPolicy, BreakerPolicy, RetryEvent and Auth are the shared ones of package remote.
type (
	RetryPolicy   = remote.RetryPolicy
	BreakerPolicy = remote.BreakerPolicy
	RetryEvent    = remote.RetryEvent
	Auth          = remote.Auth
)

// Client talks to one RWS remote. It is safe for concurrent use: the Rave pull and the exposure sends
// share one, and with it Rave's breaker, limiter and offline state.
type Client struct {
	rc   *remote.Client
	base *url.URL // the RWS root, …/RaveWebServices

	// Bounds on a listing (studies, subjects) read into memory: see listing.go.
	listingBytes   int64
	listingToken   int
	listingEntries int
}

// New returns a client for cfg. It fails only on a configuration that can never work; such an error
// is fatal (remote.IsFatal).
func New(cfg Config) (*Client, error) {
	if cfg.Name == "" {
		cfg.Name = "rave"
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "trialsync-rws"
	}
	cfg.BaseURL = rwsRoot(cfg.BaseURL)
	cfg.ErrorBody = readErrorBody
	if onRetry := cfg.OnRetry; onRetry != nil {
		cfg.OnRetry = func(ev RetryEvent) {
			ev.Err = toError(ev.Err)
			onRetry(ev)
		}
	}
	rc, err := remote.New(cfg)
	if err != nil {
		return nil, err
	}
	return &Client{rc: rc, base: rc.BaseURL(), listingBytes: maxListingBytes, listingToken: maxListingToken, listingEntries: maxListingEntries}, nil
}

// rwsRoot appends the /RaveWebServices path when the configured URL lacks it. Package remote checks
// the rest (an address at all, scheme, credentials, https for any host but this machine) and refuses
// what can never work with a fatal error; an address that is not a URL is handed to it as it is.
func rwsRoot(raw string) string {
	u, err := url.Parse(raw)
	if raw == "" || err != nil {
		return raw
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	if !strings.HasSuffix(strings.ToLower(u.Path), "/ravewebservices") {
		u.Path += "/RaveWebServices"
	}
	return u.String()
}

// Remote returns the shared HTTP client underneath: its State for the dashboard, Watch, Close.
func (c *Client) Remote() *remote.Client { return c.rc }

// Close stops the client's background work (the offline probe); see remote.Client.Close.
func (c *Client) Close() error { return c.rc.Close() }

// BaseURL returns the RWS root the client talks to.
func (c *Client) BaseURL() string { return c.base.String() }

// BreakerState returns the circuit breaker's state: "closed", "open" or "half-open".
func (c *Client) BreakerState() string { return c.rc.BreakerState() }

// RateLimitRemaining returns the last X-RateLimit-Remaining the server sent, and whether it ever sent one.
func (c *Client) RateLimitRemaining() (int, bool) { return c.rc.RateLimitRemaining() }

// endpoint resolves path segments (unescaped) and a query relative to the base (remote.Client.Endpoint),
// with parentheses left literal in the path, as RWS's own libraries send them
// ("studies/Mediflex(Dev)/subjects").
func (c *Client) endpoint(q url.Values, segments ...string) *url.URL {
	u := c.rc.Endpoint(q, segments...)
	u.RawPath = parenKeeper.Replace(u.RawPath)
	return u
}

var parenKeeper = strings.NewReplacer("%28", "(", "%29", ")")
