package rws

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// request is one logical RWS request, sent as many times as the retry policy allows.
type request struct {
	method      string
	url         *url.URL
	body        []byte
	contentType string
	checkODM    bool // the success body is an ODM document whose end can be verified
	noResend    bool // not idempotent: resend only when the server surely did not process it
}

func (r request) op() string {
	p := strings.TrimPrefix(r.url.Path, "/")
	if i := strings.Index(strings.ToLower(p), "ravewebservices/"); i >= 0 {
		p = p[i+len("ravewebservices/"):]
	}
	if r.method == http.MethodPost && r.url.RawQuery != "" && !strings.Contains(r.url.RawQuery, "=") {
		p += "?" + r.url.RawQuery // webservice.aspx?PostODMClinicalData names the operation
	}
	return r.method + " " + p
}

var errAttemptTimeout = errors.New("no response headers within the attempt timeout")

// send performs r with retries, returning a 2xx response whose Body is the streaming wrapper.
func (c *Client) send(ctx context.Context, r request) (*http.Response, error) {
	op := r.op()
	bo := c.retry.backOff()
	start := time.Now()
	authRetries := 0
	for attempt := 1; ; attempt++ {
		resp, err := c.attempt(ctx, r, op)
		if err == nil {
			return resp, nil
		}
		if cerr := context.Cause(ctx); cerr != nil {
			return nil, err
		}
		var e *Error
		if !errors.As(err, &e) || errors.Is(err, ErrCircuitOpen) {
			return nil, err
		}
		retry, wait := e.Retryable, time.Duration(-1)
		if e.Status == http.StatusUnauthorized && authRetries < 2 {
			// A refused bearer token is replaced and tried again at once; an IIS 401 page in front of
			// RWS is tried again after a backoff. RWS's own "bad login" for Basic is final.
			if c.auth.refused() {
				authRetries++
				retry, wait = true, 0
			} else if e.Shape == "html" {
				authRetries++
				retry = true
			}
		}
		if r.noResend && e.Status == 0 && !IsOffline(e.Err) && !errors.Is(err, ErrCircuitOpen) {
			retry = false // the request may have been processed; the caller decides
		}
		if !retry || attempt >= c.retry.MaxAttempts {
			return nil, err
		}
		if wait < 0 {
			if e.RetryAfter > 0 {
				if e.RetryAfter > c.retry.MaxRetryAfter {
					return nil, err
				}
				wait = e.RetryAfter
				bo.Reset()
			} else {
				wait = bo.NextBackOff()
			}
		}
		if time.Since(start)+wait > c.retry.MaxElapsed {
			return nil, err
		}
		c.log.Debug().Str("op", op).Int("attempt", attempt).Dur("wait", wait).Err(err).Msg("rws retry")
		if c.onRetry != nil {
			c.onRetry(RetryEvent{Op: op, Attempt: attempt, Wait: wait, Err: err})
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// attempt sends r once, through the breaker, the limiters and a concurrency slot.
func (c *Client) attempt(ctx context.Context, r request, op string) (*http.Response, error) {
	if err := c.waitTurn(ctx); err != nil {
		return nil, err
	}
	done, err := c.breaker.Allow()
	if err != nil {
		return nil, &Error{Op: op, Message: "circuit breaker open for " + c.base.Host + " after repeated failures", Err: ErrCircuitOpen, Retryable: true}
	}
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		done(errCallerGone)
		return nil, context.Cause(ctx)
	}
	release := func() { <-c.slots }

	actx, cancel := context.WithCancelCause(ctx)
	timer := time.AfterFunc(c.timeout, func() { cancel(errAttemptTimeout) })
	fail := func(err error) (*http.Response, error) {
		timer.Stop()
		cancel(nil)
		release()
		if context.Cause(ctx) != nil {
			done(errCallerGone)
			return nil, context.Cause(ctx)
		}
		done(err)
		return nil, err
	}

	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(actx, r.method, r.url.String(), body)
	if err != nil {
		return fail(&Error{Op: op, Message: "building request", Err: err})
	}
	req.Header.Set("User-Agent", c.ua)
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	if err := c.auth.authorize(req); err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Op = op + " (token)"
		}
		return fail(err)
	}
	resp, err := c.hc.Do(req)
	timer.Stop()
	if err != nil {
		if context.Cause(actx) == errAttemptTimeout {
			err = errAttemptTimeout
			return fail(&Error{Op: op, Message: err.Error(), Err: err, Retryable: true})
		}
		return fail(&Error{Op: op, Err: stripURL(err), Retryable: isTransport(err)})
	}
	c.noteRateLimit(resp.Header)

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		resp.Body = newBody(resp.Body, op, r.checkODM, func(err error) {
			cancel(nil)
			release()
			done(err)
		})
		return resp, nil
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
	return fail(c.statusError(op, resp, raw))
}

// statusError builds the *Error for a non-2xx answer.
func (c *Client) statusError(op string, resp *http.Response, raw []byte) *Error {
	eb := parseErrorBody(raw)
	e := &Error{
		Op: op, Status: resp.StatusCode, ReasonCode: eb.reasonCode, Message: eb.message,
		Origin: eb.origin, Reference: eb.reference, Shape: eb.shape,
	}
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
		e.RetryAfter = d
	}
	e.Retryable = retryableStatus(resp.StatusCode, eb.shape)
	return e
}

// stripURL drops the URL from a *url.Error: it adds nothing the Op does not say, and a next link
// handed over by a server is not ours to print.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// waitTurn paces requests. When the server states its budget (X-RateLimit-Remaining), its word
// governs: requests go out while some remain, and wait for the reset once none do. When it does not,
// the local limiter is the fallback.
func (c *Client) waitTurn(ctx context.Context) error {
	c.serverRL.mu.Lock()
	hold := time.Until(c.serverRL.holdUntil)
	known, remaining := c.serverRL.known, c.serverRL.remaining
	c.serverRL.mu.Unlock()
	if hold > 0 {
		return c.sleep(ctx, hold)
	}
	if known && remaining > 0 {
		return nil
	}
	return c.limiter.Wait(ctx)
}

// noteRateLimit reads X-RateLimit-Remaining (and -Reset, seconds until the window resets, or an
// epoch time) when the server sends them.
func (c *Client) noteRateLimit(h http.Header) {
	rem := h.Get("X-RateLimit-Remaining")
	if rem == "" {
		return
	}
	n, err := strconv.Atoi(strings.TrimSpace(rem))
	if err != nil {
		return
	}
	c.serverRL.mu.Lock()
	defer c.serverRL.mu.Unlock()
	c.serverRL.known, c.serverRL.remaining = true, n
	if n > 0 {
		c.serverRL.holdUntil = time.Time{}
		return
	}
	reset := time.Second
	if v, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 10, 64); err == nil && v > 0 {
		if v > 1_000_000_000 { // an epoch time, not a delay
			reset = time.Until(time.Unix(v, 0))
		} else {
			reset = time.Duration(v) * time.Second
		}
	}
	c.serverRL.holdUntil = time.Now().Add(min(max(reset, 0), c.retry.MaxInterval))
}
