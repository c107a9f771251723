package rws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/sony/gobreaker/v2"
	"golang.org/x/time/rate"
)

// Config configures a Client. Only BaseURL and Auth are required; the zero value of every other field
// picks the documented default.
type Config struct {
	// BaseURL is the tenant's RWS root, e.g. "https://acme.mdsol.com/RaveWebServices". A URL without
	// the /RaveWebServices path gets it appended.
	BaseURL string
	// Auth authorises each request: BasicAuth or OAuth2ClientCredentials / OAuth2TokenSource.
	Auth Auth
	// OnTokenRotated, when set, is called with the fingerprint of each new OAuth2 access token as soon
	// as the client starts using it (never the token).
	OnTokenRotated func(fingerprint string)
	// Fingerprint names a secret without revealing it (the store's keyed fingerprint); nil means no
	// fingerprint is reported ("" is passed to OnTokenRotated).
	Fingerprint func(secret string) string

	// HTTPClient sends the requests; nil means a client with sane transport timeouts. Its Timeout, if
	// any, bounds a whole streamed body too, so leave it 0 for large datasets and use Timeout below.
	HTTPClient *http.Client
	// Timeout bounds each attempt up to the response headers (default 60 s). Bodies stream without a
	// deadline of their own; cancel the context to stop one.
	Timeout time.Duration
	// UserAgent is sent with every request (default "trialsync-rws").
	UserAgent string
	// Logger receives one line per retry and per breaker change; never headers or bodies.
	Logger zerolog.Logger

	// Retry shapes the backoff between attempts of one request.
	Retry RetryPolicy
	// RequestsPerSecond and Burst set the local limiter used when the server does not say how many
	// requests remain (default 10 per second, burst 5).
	RequestsPerSecond float64
	Burst             int
	// MaxConcurrent bounds requests in flight (a request holds its slot until its body is closed),
	// shared by every site polled through this client (default 4).
	MaxConcurrent int
	// Breaker configures the circuit breaker for this remote.
	Breaker BreakerPolicy

	// Sleep waits between attempts; nil waits on a timer. Tests replace it to observe the computed
	// waits (Retry-After, backoff) without spending them.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnRetry, when set, is told about every retry before its wait.
	OnRetry func(RetryEvent)
}

// BreakerPolicy configures the per-remote circuit breaker.
type BreakerPolicy struct {
	// Failures is how many consecutive failed attempts open the breaker (default 5).
	Failures uint32
	// OpenFor is how long the breaker stays open before letting a probe through (default 30 s).
	OpenFor time.Duration
	// OnStateChange, when set, is told each transition ("closed", "open", "half-open").
	OnStateChange func(from, to string)
}

// RetryEvent describes one retry decision.
type RetryEvent struct {
	Op      string        // method and path
	Attempt int           // the attempt that failed, from 1
	Wait    time.Duration // the wait before the next attempt
	Err     error         // why the attempt failed
}

// Client talks to one RWS remote. It is safe for concurrent use.
type Client struct {
	base     *url.URL
	hc       *http.Client
	auth     Auth
	ua       string
	timeout  time.Duration
	log      zerolog.Logger
	retry    RetryPolicy
	limiter  *rate.Limiter
	slots    chan struct{}
	breaker  *gobreaker.TwoStepCircuitBreaker[struct{}]
	sleep    func(context.Context, time.Duration) error
	onRetry  func(RetryEvent)
	serverRL serverRateLimit
}

// serverRateLimit remembers what the server last said through X-RateLimit-Remaining / -Reset.
type serverRateLimit struct {
	mu        sync.Mutex
	known     bool
	remaining int
	holdUntil time.Time
}

// New returns a client for cfg. It fails only on a configuration that can never work.
func New(cfg Config) (*Client, error) {
	if cfg.Auth == nil {
		return nil, errors.New("rws: no authorisation configured")
	}
	base, err := parseBase(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:    base,
		hc:      cfg.HTTPClient,
		ua:      cfg.UserAgent,
		timeout: cfg.Timeout,
		log:     cfg.Logger,
		retry:   cfg.Retry.withDefaults(),
		sleep:   cfg.Sleep,
		onRetry: cfg.OnRetry,
	}
	if c.hc == nil {
		c.hc = defaultHTTPClient()
	}
	if c.ua == "" {
		c.ua = "trialsync-rws"
	}
	if c.timeout <= 0 {
		c.timeout = 60 * time.Second
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	rps, burst := cfg.RequestsPerSecond, cfg.Burst
	if rps <= 0 {
		rps = 10
	}
	if burst <= 0 {
		burst = 5
	}
	c.limiter = rate.NewLimiter(rate.Limit(rps), burst)
	n := cfg.MaxConcurrent
	if n <= 0 {
		n = 4
	}
	c.slots = make(chan struct{}, n)
	c.breaker = newBreaker(base.Host, cfg.Breaker, c.log)
	c.auth = cfg.Auth.bind(c.hc, cfg.OnTokenRotated, cfg.Fingerprint, c.timeout)
	return c, nil
}

func parseBase(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("rws: no base URL configured")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("rws: base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("rws: base URL %q is not an http(s) URL", raw)
	}
	if u.User != nil {
		return nil, errors.New("rws: base URL must not carry credentials")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	if !strings.HasSuffix(strings.ToLower(u.Path), "/ravewebservices") {
		u.Path += "/RaveWebServices"
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

func defaultHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = 15 * time.Second
	tr.MaxIdleConnsPerHost = 8
	return &http.Client{Transport: tr}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// BaseURL returns the RWS root the client talks to.
func (c *Client) BaseURL() string { return c.base.String() }

// BreakerState returns the circuit breaker's state: "closed", "open" or "half-open".
func (c *Client) BreakerState() string { return c.breaker.State().String() }

// RateLimitRemaining returns the last X-RateLimit-Remaining the server sent, and whether it ever sent one.
func (c *Client) RateLimitRemaining() (int, bool) {
	c.serverRL.mu.Lock()
	defer c.serverRL.mu.Unlock()
	return c.serverRL.remaining, c.serverRL.known
}

// endpoint resolves path segments (unescaped) and a query relative to the base. Parentheses stay
// literal in the path, as RWS's own libraries send them ("studies/Mediflex(Dev)/subjects").
func (c *Client) endpoint(q url.Values, segments ...string) *url.URL {
	u := *c.base
	raw := c.base.EscapedPath()
	for _, s := range segments {
		u.Path += "/" + s
		raw += "/" + parenKeeper.Replace(url.PathEscape(s))
	}
	u.RawPath = raw
	if q != nil {
		u.RawQuery = q.Encode()
	}
	return &u
}

var parenKeeper = strings.NewReplacer("%28", "(", "%29", ")")

// within reports whether u points under the client's base URL (same scheme, host and path prefix).
func (c *Client) within(u *url.URL) bool {
	return strings.EqualFold(u.Scheme, c.base.Scheme) && strings.EqualFold(u.Host, c.base.Host) &&
		u.User == nil && strings.HasPrefix(strings.ToLower(u.Path), strings.ToLower(c.base.Path)+"/")
}
