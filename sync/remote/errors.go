package remote

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Sentinel errors. The errors a Client returns match the ones that describe them under errors.Is, so
// callers test categories without looking at status codes.
var (
	// ErrOffline: the remote could not be reached at all (connection refused, no route, a name that does
	// not resolve). Matched by *OfflineError, whose Ready channel says when to try again.
	ErrOffline = errors.New("remote offline")
	// ErrCircuitOpen: the circuit breaker is open after repeated failures; the request was not sent.
	ErrCircuitOpen = errors.New("circuit breaker open after repeated failures")
	// ErrCredentialRejected: the remote refused the credential and trying again cannot help; the
	// credential must be replaced. Errors matching it are fatal.
	ErrCredentialRejected = errors.New("credential rejected")
	// ErrUnauthorized: the remote answered 401, whether or not a retry may still help.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrRateLimited: the remote answered 429.
	ErrRateLimited = errors.New("rate limited")
	// ErrUnavailable: the remote answered 5xx (501 Not Implemented aside).
	ErrUnavailable = errors.New("service unavailable")
	// ErrTimeout: no response headers arrived within the attempt timeout.
	ErrTimeout = errors.New("no response in time")
	// ErrStalled: an answer stopped arriving, arrived too slowly, or did not end in time.
	ErrStalled = errors.New("answer stalled")
	// ErrTooLarge: an answer was larger than the request allows.
	ErrTooLarge = errors.New("answer too large")
	// ErrRedirectRefused: the remote redirected to another origin, or from https to http; following
	// would hand the credentials to someone else. Fatal: the configured address must be corrected.
	ErrRedirectRefused = errors.New("redirect refused")
	// ErrInsecure: plain http to a host that is not this machine; credentials would cross the network in
	// clear. Fatal.
	ErrInsecure = errors.New("plain http to a remote host")
	// ErrOtherOrigin: a request addressed to another origin than the client's; it is not sent.
	ErrOtherOrigin = errors.New("address outside the configured remote")
)

// Error is a failed request to a remote. Status is the HTTP status (0 when no answer was received);
// Code and Message come from the API's error body, through Config.ErrorBody, with control characters
// already removed. Retryable says whether sending the same request again later can succeed; Fatal
// whether nothing but a change of credential or configuration can.
type Error struct {
	Remote     string        // the remote's name, e.g. "rave"
	Op         string        // method and path, e.g. "GET studies"; no query string, no credentials
	Status     int           // HTTP status, 0 when no answer was received
	Code       string        // the API's reason code, "" when its body gave none
	Message    string        // the server's words, or what went wrong locally
	RetryAfter time.Duration // server-requested wait (Retry-After), 0 when not given
	Retryable  bool
	Detail     any   // whatever the API's ErrorBody hook attached (Problem.Detail)
	Err        error // the underlying transport error or sentinel, if any

	fatal  bool
	final  bool // the API's ErrorBody called the answer final
	unsent bool // failed before the request went out (a token could not be had)
}

// Error describes the failure on one line: remote, operation, status, code, message, cause.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Remote != "" {
		b.WriteString(e.Remote)
		b.WriteString(": ")
	}
	b.WriteString(e.Op)
	if r := e.Reason(); r != "" {
		b.WriteString(": ")
		b.WriteString(r)
	}
	return b.String()
}

// Reason is Error without the remote's name and the operation: status, code, message and cause.
// API packages that print their own prefix use it.
func (e *Error) Reason() string {
	var parts []string
	if e.Status != 0 {
		parts = append(parts, fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status)))
	}
	if e.Code != "" {
		parts = append(parts, e.Code)
	}
	if e.Message != "" {
		parts = append(parts, e.Message)
	}
	if c := e.Cause(); c != "" {
		parts = append(parts, c)
	}
	if e.fatal && errors.Is(e.Err, ErrCredentialRejected) {
		parts = append(parts, ErrCredentialRejected.Error())
	}
	return strings.Join(parts, ": ")
}

// Cause is the text of the underlying error when it adds something to Message: a transport error's
// words, "" for a sentinel (Message already says it) or when there is none.
func (e *Error) Cause() string {
	if e.Err == nil || isSentinel(e.Err) {
		return ""
	}
	return Clean(e.Err.Error())
}

func isSentinel(err error) bool {
	switch err {
	case ErrOffline, ErrCircuitOpen, ErrCredentialRejected, ErrUnauthorized, ErrRateLimited, ErrUnavailable,
		ErrTimeout, ErrStalled, ErrTooLarge, ErrRedirectRefused, ErrInsecure, ErrOtherOrigin:
		return true
	}
	return false
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Fatal reports whether no retry can fix the failure: a rejected credential, a refused redirect, a
// configuration that cannot work. A service that meets one stops until a person changes something.
func (e *Error) Fatal() bool { return e.fatal }

// Is reports whether e belongs to the category of a sentinel error.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	case ErrUnavailable:
		return e.Status >= 500 && e.Status != http.StatusNotImplemented
	}
	return false
}

// Retryable reports whether err may succeed if the same request is sent again later: an *Error that
// says so, or an *OfflineError (once its Ready channel is closed).
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var off *OfflineError
	if errors.As(err, &off) {
		return true
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Retryable
	}
	return false
}

// IsFatal reports whether err carries a Fatal() bool method (anywhere in its chain) that says true.
func IsFatal(err error) bool {
	var f interface{ Fatal() bool }
	return errors.As(err, &f) && f.Fatal()
}

// fatalError builds a fatal *Error.
func fatalError(name, op, msg string, sentinel error) *Error {
	return &Error{Remote: name, Op: op, Message: msg, Err: sentinel, fatal: true}
}
