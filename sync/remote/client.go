package remote

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
)

// Config configures a Client. Only BaseURL and Auth are required; the zero value of every other field
// picks the documented default.
type Config struct {
	// Name names the remote in errors, logs and its State ("rave", "sureadhere", "edc", "ctms").
	Name string
	// BaseURL is the remote's root, e.g. "https://acme.mdsol.com/RaveWebServices". Requests go only to
	// its origin. Plain http is accepted only for this machine (localhost, 127.0.0.0/8, ::1).
	BaseURL string
	// Auth authorises each request: Basic, Bearer, HeaderToken, OAuth2ClientCredentials or
	// OAuth2TokenSource.
	Auth Auth
	// OnTokenRotated, when set, is called with the fingerprint of each new OAuth2 access token as soon
	// as the client starts using it (never the token).
	OnTokenRotated func(fingerprint string)
	// Fingerprint identifies a token without revealing it (the agent passes its keyed fingerprinter);
	// nil means the first 12 hex digits of the token's SHA-256, which is safe for random access tokens.
	Fingerprint func(secret string) string
	// ErrorBody reads the API's error answers (nil: PlainErrorBody). A Request may bring its own.
	ErrorBody ErrorBody

	// HTTPClient sends the requests; nil means a client with sane transport timeouts. Its Timeout, if
	// any, bounds a whole streamed body too, so leave it 0 for large answers and use Timeout below. Its
	// redirect policy is replaced by the client's own (same origin only, never https to http).
	HTTPClient *http.Client
	// Timeout bounds each attempt up to the response headers (default 60 s).
	Timeout time.Duration
	// DialTimeout bounds making a connection with the default HTTPClient (default 5 s); a dial that
	// times out makes the remote offline.
	DialTimeout time.Duration
	// Answer bounds how an answer body may arrive (idle reads, minimum rate, total duration).
	Answer AnswerPolicy
	// UserAgent is sent with every request (default "trialsync").
	UserAgent string
	// Logger receives one line per retry, per breaker change and per offline change; never headers or
	// bodies.
	Logger zerolog.Logger

	// Retry shapes the backoff between attempts of one request.
	Retry RetryPolicy
	// RequestsPerSecond and Burst set the local limiter used when the server does not say how many
	// requests remain (default 10 per second, burst 5).
	RequestsPerSecond float64
	Burst             int
	// MaxConcurrent bounds requests in flight (a request holds its slot until its body is closed),
	// shared by every engine using this client (default 4).
	MaxConcurrent int
	// Breaker configures the circuit breaker for this remote.
	Breaker BreakerPolicy
	// ProbeEvery is how often an offline remote is probed (default 1 s); each probe is bounded by
	// ProbeTimeout (default 2 s).
	ProbeEvery   time.Duration
	ProbeTimeout time.Duration

	// Sleep waits between attempts; nil waits on a timer. Tests replace it to observe the computed
	// waits (Retry-After, backoff) without spending them.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnRetry, when set, is told about every retry before its wait.
	OnRetry func(RetryEvent)
}

// Client talks to one remote. It is safe for concurrent use: build one per remote and share it between
// every engine that talks to that remote, so they share its breaker, limiter, concurrency bound and
// offline state.
type Client struct {
	name         string
	base         *url.URL
	hc           *http.Client
	ownTransport *http.Transport // closed on Close when the client made it
	auth         Auth
	errorBody    ErrorBody
	ua           string
	timeout      time.Duration
	answer       AnswerPolicy
	log          zerolog.Logger
	retry        RetryPolicy
	pacer        *pacer
	slots        chan struct{}
	breaker      *gobreaker.TwoStepCircuitBreaker[struct{}]
	sleep        func(context.Context, time.Duration) error
	onRetry      func(RetryEvent)
	probeEvery   time.Duration
	probeTimeout time.Duration

	state    *tracker
	closed   chan struct{}
	closing  sync.Mutex // orders Close against starting a probe
	isClosed bool
	wg       sync.WaitGroup
}

// New returns a client for cfg. It fails only on a configuration that can never work; that error is
// fatal (IsFatal).
func New(cfg Config) (*Client, error) {
	name := cfg.Name
	if name == "" {
		name = "remote"
	}
	if cfg.Auth == nil {
		return nil, fatalError(name, "configuration", "no authorisation configured", nil)
	}
	base, err := parseBase(name, cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if t, ok := cfg.Auth.(*tokenAuth); ok && t.tokenURL != "" {
		if _, err := parseBase(name+" token endpoint", t.tokenURL); err != nil {
			return nil, err
		}
	}
	c := &Client{
		name:         name,
		base:         base,
		errorBody:    cfg.ErrorBody,
		ua:           cfg.UserAgent,
		timeout:      cfg.Timeout,
		answer:       cfg.Answer.withDefaults(),
		log:          cfg.Logger,
		retry:        cfg.Retry.withDefaults(),
		sleep:        cfg.Sleep,
		onRetry:      cfg.OnRetry,
		probeEvery:   cfg.ProbeEvery,
		probeTimeout: cfg.ProbeTimeout,
		state:        newTracker(name),
		closed:       make(chan struct{}),
	}
	if c.errorBody == nil {
		c.errorBody = PlainErrorBody
	}
	if c.ua == "" {
		c.ua = "trialsync"
	}
	if c.timeout <= 0 {
		c.timeout = 60 * time.Second
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	if c.probeEvery <= 0 {
		c.probeEvery = time.Second
	}
	if c.probeTimeout <= 0 {
		c.probeTimeout = 2 * time.Second
	}
	c.hc = c.httpClient(cfg.HTTPClient, cfg.DialTimeout)
	c.pacer = newPacer(cfg.RequestsPerSecond, cfg.Burst, c.retry.MaxInterval)
	n := cfg.MaxConcurrent
	if n <= 0 {
		n = 4
	}
	c.slots = make(chan struct{}, n)
	c.breaker = c.newBreaker(cfg.Breaker.withDefaults())
	fp := cfg.Fingerprint
	if fp == nil {
		fp = defaultFingerprint
	}
	c.auth = cfg.Auth.bind(binding{hc: c.hc, timeout: c.timeout, onRotate: cfg.OnTokenRotated, fingerprint: fp})
	return c, nil
}

// parseBase checks a remote's address: absolute http(s), no credentials in it, https unless the host
// is this machine.
func parseBase(name, raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fatalError(name, "configuration", "no address configured", nil)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fatalError(name, "configuration", "the address is not a URL: "+Clean(stripURL(err).Error()), nil)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Opaque != "" {
		return nil, fatalError(name, "configuration", "the address is not an absolute http or https URL", nil)
	}
	if u.User != nil {
		return nil, fatalError(name, "configuration", "the address must not carry a user name or password", nil)
	}
	if u.Scheme == "http" && !IsLoopback(u.Hostname()) {
		return nil, fatalError(name, "configuration",
			fmt.Sprintf("http://%s would send the credentials across the network in clear; use https", u.Host), ErrInsecure)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// httpClient copies given (or makes a client) and installs the redirect policy.
func (c *Client) httpClient(given *http.Client, dialTimeout time.Duration) *http.Client {
	var hc http.Client
	if given != nil {
		hc = *given
	} else {
		if dialTimeout <= 0 {
			dialTimeout = 5 * time.Second
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext
		tr.TLSHandshakeTimeout = 15 * time.Second
		tr.MaxIdleConnsPerHost = 8
		hc.Transport = tr
		c.ownTransport = tr
	}
	next := hc.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := checkRedirect(req, via); err != nil {
			return err
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &hc
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

// Close stops the offline probe and drops idle connections. Requests already made finish; the client
// must not be used afterwards.
func (c *Client) Close() error {
	c.closing.Lock()
	if c.isClosed {
		c.closing.Unlock()
		return nil
	}
	c.isClosed = true
	close(c.closed)
	c.closing.Unlock()
	c.wg.Wait()
	if c.ownTransport != nil {
		c.ownTransport.CloseIdleConnections()
	}
	return nil
}

// goProbe starts the offline probe unless the client is closed.
func (c *Client) goProbe(ready chan struct{}) {
	c.closing.Lock()
	defer c.closing.Unlock()
	if c.isClosed {
		return
	}
	c.wg.Add(1)
	go c.probe(ready)
}

// Name returns the remote's name.
func (c *Client) Name() string { return c.name }

// BaseURL returns the remote's root.
func (c *Client) BaseURL() *url.URL { u := *c.base; return &u }

// State returns the remote's state: online, offline or breaker open, why, and since when.
func (c *Client) State() State { return c.state.get() }

// Watch returns the state and a channel closed at its next change. Every watcher is woken (the
// channel is shared, then replaced): call Watch again after each wake-up.
func (c *Client) Watch() (State, <-chan struct{}) { return c.state.watch() }

// BreakerState returns the circuit breaker's state: "closed", "open" or "half-open".
func (c *Client) BreakerState() string { return c.breaker.State().String() }

// RateLimitRemaining returns the last X-RateLimit-Remaining the server sent, and whether it ever sent one.
func (c *Client) RateLimitRemaining() (int, bool) { return c.pacer.last() }

// Endpoint resolves path segments (each escaped) and a query under the base URL.
func (c *Client) Endpoint(q url.Values, segments ...string) *url.URL {
	u := *c.base
	raw := c.base.EscapedPath()
	for _, s := range segments {
		u.Path += "/" + s
		raw += "/" + url.PathEscape(s)
	}
	u.RawPath = raw
	if q != nil {
		u.RawQuery = q.Encode()
	}
	return &u
}

// errRedirect is a refused redirect, kept until the attempt turns it into a fatal *Error.
type errRedirect struct{ to string }

func (e *errRedirect) Error() string { return "redirect to " + e.to + " refused" }

// checkRedirect follows a redirect only within the origin of the first request, never from https to
// http, and at most 10 times: every header (the credentials included) would go along.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	first := via[0].URL
	if !SameOrigin(first, req.URL) || first.Scheme == "https" && req.URL.Scheme != "https" {
		return &errRedirect{to: Clean(req.URL.Scheme + "://" + req.URL.Host)}
	}
	return nil
}
