package remote

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Request is one logical request, sent as many times as the retry policy allows.
type Request struct {
	Method string
	// URL is absolute and on the client's origin (see Client.Endpoint); any other is refused unsent.
	URL         *url.URL
	Body        []byte
	ContentType string
	// Header holds extra headers (Accept, …); the credential and Idempotency-Key are set by the client.
	Header http.Header
	// IdempotencyKey, when set, is sent as the Idempotency-Key header (IETF draft): the server replays
	// the first result for a repeated key, so the request may be sent again after a lost answer, and a
	// 409 (the first is still in flight) is retried.
	IdempotencyKey string
	// Op names the request in errors and logs ("GET studies"); default: method and path.
	Op string
	// Wrap, when set, wraps the answer body before it is returned: the API's own checks (RWS verifies
	// that an ODM document ends). An error its reader returns counts as a failed answer for the breaker.
	Wrap func(io.Reader) io.Reader
	// MaxBytes bounds the answer body (0: unbounded); a larger answer ends with ErrTooLarge.
	MaxBytes int64
	// ErrorBody reads this request's error answers, in place of the client's.
	ErrorBody ErrorBody
	// Once sends the request a single time, a 401 aside (tried once more, as always, before the
	// credential is called rejected): the caller owns the retries, as the outbox does, and gets the
	// failure with its Retry-After at once.
	Once bool
}

func (r *Request) op() string {
	if r.Op != "" {
		return r.Op
	}
	return r.Method + " " + strings.TrimPrefix(r.URL.Path, "/")
}

// resendable reports whether the request may be sent again when its answer was lost: the server may
// have processed it, which is harmless for idempotent methods and keyed requests only.
func (r *Request) resendable() bool {
	switch r.Method {
	case http.MethodPost, http.MethodPatch:
		return r.IdempotencyKey != ""
	}
	return true
}

// Do sends r and returns its 2xx response; the caller must close the response Body (which releases the
// request's concurrency slot). The body streams under the AnswerPolicy.
//
// What Do retries, with jittered exponential backoff and Retry-After honoured: 429, 5xx (501 aside),
// 408, transport failures, a 409 on a keyed request, and — only once — a 401 (an OAuth2 token is first
// replaced; a Basic or static credential is tried once more). A second 401, or one the API's ErrorBody
// calls final, is a fatal error matching ErrCredentialRejected: repeating a wrong password is how a
// service account gets locked out. A remote that cannot be reached at all returns an *OfflineError
// at once, spending no attempt; so does every request until the remote answers again. A non-idempotent
// request without IdempotencyKey is resent only when the server surely did not process it.
func (c *Client) Do(ctx context.Context, r Request) (*http.Response, error) {
	if r.URL == nil {
		return nil, fatalError(c.name, r.Method, "request without an address", nil)
	}
	op := r.op()
	if !SameOrigin(r.URL, c.base) || r.URL.User != nil {
		return nil, &Error{Remote: c.name, Op: op, Message: "the address lies outside " + c.base.Host + "; not sending the credentials there", Err: ErrOtherOrigin}
	}
	bo := c.retry.backOff()
	start := time.Now()
	refreshed, authRetried := false, false
	for attempt := 1; ; attempt++ {
		if off := c.offlineNow(op); off != nil {
			return nil, off
		}
		resp, err := c.attempt(ctx, &r, op)
		if err == nil {
			c.state.outcome("")
			return resp, nil
		}
		if context.Cause(ctx) != nil {
			return nil, err
		}
		var e *Error
		if !errors.As(err, &e) || errors.Is(err, ErrCircuitOpen) || e.fatal {
			c.state.outcome(words(err))
			return nil, err
		}
		retry, wait := e.Retryable, time.Duration(-1)
		if e.Status == http.StatusUnauthorized {
			switch {
			case !refreshed && c.auth.refresh():
				refreshed, wait = true, 0 // a new access token, at once
			case !refreshed && !authRetried && !e.final:
				authRetried = true // a Basic or static credential: once more, after a backoff
			default:
				e.Err, e.fatal, e.Retryable = ErrCredentialRejected, true, false
				c.state.outcome(words(err))
				return nil, err
			}
			retry, e.Retryable = true, true
		}
		if e.Status == 0 && !e.unsent && !r.resendable() {
			retry = false // the request may have been processed; the caller decides
		}
		if r.Once && e.Status != http.StatusUnauthorized {
			retry = false // the caller retries
		}
		if !retry || attempt >= c.retry.MaxAttempts {
			c.state.outcome(words(err))
			return nil, err
		}
		if wait < 0 {
			if e.RetryAfter > 0 {
				if e.RetryAfter > c.retry.MaxRetryAfter {
					c.state.outcome(words(err))
					return nil, err
				}
				wait = e.RetryAfter
				bo.Reset()
			} else {
				wait = bo.NextBackOff()
			}
		}
		if time.Since(start)+wait > c.retry.MaxElapsed {
			c.state.outcome(words(err))
			return nil, err
		}
		c.log.Debug().Str("remote", c.name).Str("op", op).Int("attempt", attempt).Dur("wait", wait).Err(err).Msg("retry")
		if c.onRetry != nil {
			c.onRetry(RetryEvent{Op: op, Attempt: attempt, Wait: wait, Err: err})
		}
		if wait <= 0 {
			continue
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// words is err as the State's LastError shows it.
func words(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason()
	}
	return Clean(err.Error())
}

// attempt sends r once, through the pacer, the breaker and a concurrency slot.
func (c *Client) attempt(ctx context.Context, r *Request, op string) (*http.Response, error) {
	if err := c.pacer.wait(ctx, c.sleep); err != nil {
		return nil, err
	}
	done, err := c.breaker.Allow()
	if err != nil {
		return nil, &Error{Remote: c.name, Op: op, Message: "paused after repeated failures of " + c.base.Host,
			Err: ErrCircuitOpen, Retryable: true, RetryAfter: c.state.openRemaining()}
	}
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		done(errCallerGone)
		return nil, context.Cause(ctx)
	}
	release := func() { <-c.slots }

	actx, cancel := context.WithCancelCause(ctx)
	timer := time.AfterFunc(c.timeout, func() { cancel(ErrTimeout) })
	fail := func(err error, outcome error) (*http.Response, error) {
		timer.Stop()
		cancel(nil)
		release()
		if context.Cause(ctx) != nil {
			done(errCallerGone)
			return nil, context.Cause(ctx)
		}
		c.state.outcome(words(err))
		done(outcome)
		return nil, err
	}

	var reqBody io.Reader
	if r.Body != nil {
		reqBody = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(actx, r.Method, r.URL.String(), reqBody)
	if err != nil {
		e := fatalError(c.name, op, "building the request: "+Clean(err.Error()), nil)
		return fail(e, e)
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", c.ua)
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	if r.IdempotencyKey != "" {
		req.Header.Set("Idempotency-Key", r.IdempotencyKey)
	}
	if err := c.auth.authorize(req); err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Remote, e.Op, e.unsent = c.name, op+" (token)", true
		}
		return fail(err, err)
	}
	resp, err := c.hc.Do(req)
	timer.Stop()
	if err != nil {
		var redirect *errRedirect
		switch {
		case context.Cause(actx) == ErrTimeout:
			e := &Error{Remote: c.name, Op: op, Message: fmt.Sprintf("no answer within %s", c.timeout), Err: ErrTimeout, Retryable: true}
			return fail(e, e)
		case errors.As(err, &redirect):
			e := fatalError(c.name, op, "the server redirected the request to "+redirect.to+
				"; not following it with the credentials (correct the configured address)", ErrRedirectRefused)
			return fail(e, e)
		case context.Cause(ctx) == nil && unreachable(err):
			timer.Stop()
			cancel(nil)
			release()
			done(errNotReached)
			return nil, c.offline(op, err)
		}
		if untrusted(err) {
			// Not fatal: a certificate renewed by the remote's keepers mends it, but retrying now cannot.
			e := &Error{Remote: c.name, Op: op, Message: "the server's certificate is not trusted for " + c.base.Hostname(), Err: stripURL(err)}
			return fail(e, e)
		}
		e := &Error{Remote: c.name, Op: op, Message: "sending the request", Err: stripURL(err), Retryable: !errors.Is(err, context.Canceled)}
		return fail(e, e)
	}
	c.state.answered()
	c.pacer.note(resp.Header)

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		id := &Error{Remote: c.name, Op: op}
		timed := newTimedReader(resp.Body, ctx, actx, cancel, c.answer, r.MaxBytes, id)
		b := &body{rc: resp.Body, r: timed, timed: timed, caller: ctx}
		if r.Wrap != nil {
			b.r = r.Wrap(timed)
		}
		b.finish = func(err error) {
			cancel(nil)
			release()
			if err != nil {
				c.state.outcome(words(err))
			}
			done(err)
		}
		resp.Body = b
		return resp, nil
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
	e := c.statusError(r, op, resp, raw)
	return fail(e, e)
}

// statusError builds the *Error for a non-2xx answer.
func (c *Client) statusError(r *Request, op string, resp *http.Response, raw []byte) *Error {
	read := c.errorBody
	if r.ErrorBody != nil {
		read = r.ErrorBody
	}
	p := read(resp.StatusCode, resp.Header, raw)
	e := &Error{Remote: c.name, Op: op, Status: resp.StatusCode, Code: c.serverWords(p.Code), Message: c.serverWords(p.Message), Detail: p.Detail}
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
		e.RetryAfter = d
	}
	switch st := resp.StatusCode; {
	case st == http.StatusUnauthorized:
		e.Retryable = !p.Final // Do decides: a new token, one more try, or a rejected credential
	case p.Final:
		e.Retryable = false
	case st == http.StatusTooManyRequests, st == http.StatusRequestTimeout:
		e.Retryable = true
	case st == http.StatusConflict:
		e.Retryable = r.IdempotencyKey != ""
	case st == http.StatusNotImplemented:
		e.Retryable = false
	case st >= 500:
		e.Retryable = true
	}
	e.final = p.Final
	return e
}

// untrusted reports a TLS certificate the client does not accept (unknown authority, wrong host name,
// expired): no retry in the next minutes can change that.
func untrusted(err error) bool {
	var verify *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid)
}

// minRedacted is the shortest credential removed from a server's words: shorter ones would blank out
// ordinary text without protecting anything.
const minRedacted = 4

// serverWords makes what a server said fit for an error, a log line, the store and the audit trail:
// Clean, and none of the client's own credentials. A server that repeats the request's Authorization
// header or token in its error answer (a debugging gateway, a proxy's page) must not thereby put the
// password into the outbox's stored messages or an audit entry, which the log's redaction never sees.
func (c *Client) serverWords(s string) string {
	redact := func(s string) string {
		for _, secret := range c.auth.secrets() {
			if len(secret) >= minRedacted {
				s = strings.ReplaceAll(s, secret, "[redacted]")
			}
		}
		return s
	}
	return redact(Clean(redact(s))) // before Clean, so that clipping cannot cut one in half; after, for one split by white space
}
