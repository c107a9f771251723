package rws

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/trialsync/trialsync/sync/remote"
)

// Sentinel errors. An *Error matches the ones that describe it under errors.Is, so callers test
// categories without looking at status codes or reason codes.
var (
	// ErrUnauthorized: the credentials were refused (HTTP 401, RWS00008, RWS00097, an IIS 401 page).
	ErrUnauthorized = errors.New("rws: unauthorized")
	// ErrLockedOut: the service account is locked out (RWS00005); retrying makes it worse.
	ErrLockedOut = errors.New("rws: account locked out")
	// ErrNotFound: study, site, subject or record not found (HTTP 404, RWS00014, RWS00017, RWS00023, RWS00037).
	ErrNotFound = errors.New("rws: not found")
	// ErrNotImplemented: the request is not supported by this RWS (RWS00140).
	ErrNotImplemented = errors.New("rws: not implemented")
	// ErrRejected: a posted transaction was refused as a whole (IsTransactionSuccessful="0").
	ErrRejected = errors.New("rws: transaction rejected")
	// ErrRateLimited: the tenant answered 429. It is remote.ErrRateLimited: every remote means the same.
	ErrRateLimited = remote.ErrRateLimited
	// ErrUnavailable: the tenant answered 5xx (501 Not Implemented aside). It is remote.ErrUnavailable.
	ErrUnavailable = remote.ErrUnavailable
	// ErrCircuitOpen: the client's circuit breaker is open after repeated failures; pause, do not retry
	// now. It is remote.ErrCircuitOpen.
	ErrCircuitOpen = remote.ErrCircuitOpen
	// ErrTruncated: a response body ended before its ODM root was closed.
	ErrTruncated = errors.New("rws: response body truncated")
	// ErrNextLink: a next link was refused (another origin, outside the base path, not a URL); it must
	// not be stored or followed.
	ErrNextLink = errors.New("rws: next link refused")
	// ErrTooLarge: a posted body exceeds the RWS limit of MaxPostBytes.
	ErrTooLarge = errors.New("rws: request body too large")
)

// Error is a failed RWS request. Status is the HTTP status (0 for a transport failure); ReasonCode,
// Message and Origin come from the RWS error body when it has them. Retryable says whether sending
// the same request again later can succeed. Err holds what package remote returned, when it did:
// errors.As finds a *remote.OfflineError (Rave unreachable; wait on Ready) there, and remote.IsFatal
// reports a rejected credential or a configuration that cannot work.
type Error struct {
	Op         string        // method and path, e.g. "GET studies"; no query string, no credentials
	Status     int           // HTTP status, 0 when no response was received
	ReasonCode string        // RWS reason code such as "RWS00008", "" when the body had none
	Message    string        // the server's message (ErrorClientResponseMessage, ErrorDescription, page title, text)
	Origin     string        // ErrorOriginLocation of a rejected post, e.g. "/ODM/ClinicalData[1]/SubjectData[1]"
	Reference  string        // ReferenceNumber of an RWS <Response>
	Shape      string        // which error shape the body had: "response", "odm", "html", "text", "" for none
	RetryAfter time.Duration // server-requested wait (Retry-After), 0 when not given
	Retryable  bool
	Err        error // the remote error, transport error or sentinel underneath, if any
}

// Error describes the failure on one line: operation, status, reason code, message, origin.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("rws: ")
	b.WriteString(e.Op)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.ReasonCode != "" {
		b.WriteString(": ")
		b.WriteString(e.ReasonCode)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Origin != "" {
		b.WriteString(" at ")
		b.WriteString(e.Origin)
	}
	if c := cause(e.Err); c != "" && e.Status == 0 {
		b.WriteString(": ")
		b.WriteString(c)
	}
	if remote.IsFatal(e.Err) && errors.Is(e.Err, remote.ErrCredentialRejected) {
		b.WriteString(": ")
		b.WriteString(remote.ErrCredentialRejected.Error())
	}
	return b.String()
}

// cause is the text an underlying error adds to the message: a transport error's words; nothing for a
// remote error whose message is already ours, or for an offline remote (the message says it).
func cause(err error) string {
	if err == nil {
		return ""
	}
	var off *remote.OfflineError
	if errors.As(err, &off) {
		return ""
	}
	var re *remote.Error
	if errors.As(err, &re) {
		return re.Cause()
	}
	return remote.Clean(err.Error())
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether e belongs to one of RWS's own categories. The categories every remote shares
// (ErrRateLimited, ErrUnavailable, ErrCircuitOpen) are decided by the *remote.Error underneath.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized || e.ReasonCode == "RWS00008" || e.ReasonCode == "RWS00097"
	case ErrLockedOut:
		return e.ReasonCode == "RWS00005"
	case ErrNotFound:
		switch e.ReasonCode {
		case "RWS00014", "RWS00017", "RWS00023", "RWS00037", "RWS00092":
			return true
		}
		return e.Status == http.StatusNotFound && e.ReasonCode == ""
	case ErrNotImplemented:
		return e.ReasonCode == "RWS00140" || e.Status == http.StatusNotImplemented
	case ErrRejected:
		return e.Shape == "response" && e.ReasonCode != "" && e.Status != http.StatusUnauthorized
	case ErrTooLarge:
		return e.Status == http.StatusRequestEntityTooLarge
	}
	return false
}

// Retryable reports whether err (an *Error anywhere in its chain, a truncated body, an offline remote)
// may succeed if the same request is sent again later.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Retryable
	}
	return errors.Is(err, ErrTruncated) || remote.Retryable(err)
}

// IsOffline reports whether err means Rave could not be reached at all (see remote.IsOffline): the
// request was not sent, and the *remote.OfflineError in the chain says when to try again.
func IsOffline(err error) bool { return remote.IsOffline(err) }

// toError turns what package remote returns into an *Error carrying RWS's reading of the answer (its
// reason code, error shape, origin), with the remote error kept underneath: errors.As still finds the
// *remote.OfflineError (Ready) and *remote.Error (Fatal) there. Other errors (the caller's own
// cancellation) pass unchanged.
func toError(err error) error {
	var e *Error
	if err == nil || errors.As(err, &e) {
		return err
	}
	var off *remote.OfflineError
	if errors.As(err, &off) {
		return &Error{Op: off.Op, Message: "Rave is offline: " + off.Words, Retryable: true, Err: err}
	}
	var re *remote.Error
	if !errors.As(err, &re) {
		return err
	}
	out := &Error{Op: re.Op, Status: re.Status, ReasonCode: re.Code, Message: re.Message, RetryAfter: re.RetryAfter,
		Retryable: re.Retryable, Err: err}
	if eb, ok := re.Detail.(errorBody); ok {
		out.Shape, out.Origin, out.Reference = eb.shape, eb.origin, eb.reference
	}
	return out
}
