package outbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/remote"
)

// Sender delivers the messages of one kind: one request per call. It is the engine's side of the
// outbox (its client, its body, its reading of the answer); the outbox owns the states, the attempts,
// the order and the audit trail.
//
// Send gets the claimed message: Payload, IdempotencyKey (the same for every attempt) and Claim (unique
// to this attempt: its correlation ID). It returns:
//
//   - nil error: the remote acknowledged it; the Outcome says what was sent and answered, and its Commit
//     runs in the transaction that marks the message done;
//   - a *Failure: how the remote refused it (Permanent: no attempt can succeed; NotSent: the request
//     never left);
//   - an error carrying Ready() <-chan struct{} (remote.OfflineError): the remote could not be reached;
//     the message is held without spending its attempt, until Ready is closed;
//   - an error whose Fatal() says true (a credential rejected): the attempt is given back and the run
//     stops, since nothing but a person can help;
//   - an error matching remote.ErrCircuitOpen: the request never left; as a Failure with NotSent;
//   - any other error: retried while the remote package calls it retryable, dead otherwise.
//
// Send must honour ctx; when ctx ends the outcome is unknown and the attempt counts.
type Sender interface {
	Send(ctx context.Context, m Message) (Outcome, error)
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, m Message) (Outcome, error)

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, m Message) (Outcome, error) { return f(ctx, m) }

// Policy is how a kind's messages are retried.
type Policy struct {
	// MaxAttempts bounds the attempts of a message (an offline remote spends none); DefaultMaxAttempts
	// when zero ([exposure] max_attempts for exposures).
	MaxAttempts int
}

// DefaultMaxAttempts is the attempts a message gets unless its kind's Policy says otherwise.
const DefaultMaxAttempts = 3

// Outcome is what a delivered message's request was and what the remote answered.
type Outcome struct {
	RequestHash string // hex SHA-256 of the request body (HashOf); "" when nothing was sent
	Status      int    // HTTP status of the answer
	Reference   string // the remote's reference for it (Rave's ReferenceNumber)
	// Summary says in a few words what the remote reported ("Fields=3; LogLines=1"), for the audit entry.
	Summary string
	// Note is a remark a person should see with the delivered message (Rave's statistics do not match
	// what was sent); "" when there is none.
	Note string
	// Skipped: nothing was left to send (the desired state is what the remote already has); no request
	// was made and the message is done.
	Skipped bool
	// Commit, when set, records the delivery in the engine's own records (the values Rave now holds), in
	// the same transaction that marks the message done and appends its audit entry.
	Commit func(tx *store.Tx) error
}

// Failure is a refused or failed attempt as the sender reads the remote's answer.
type Failure struct {
	// Permanent: no later attempt can succeed (a refused document, a 4xx that is not about timing); the
	// message is dead at once.
	Permanent bool
	// NotSent: the request never left (the client's circuit breaker is open): the attempt is given
	// back and the message waits RetryAfter.
	NotSent     bool
	RetryAfter  time.Duration // the remote's Retry-After; 0 for the outbox's own backoff
	Status      int           // HTTP status, 0 when no answer came
	ReasonCode  string        // the remote's reason code
	Origin      string        // where the remote found the problem
	Message     string        // what went wrong, in words
	Reference   string        // the remote's reference for the answer
	RequestHash string        // hex SHA-256 of the request body
	Urgent      bool          // a person must see it today (a wrong drug for the patient's arm)
	Advice      string        // what a coordinator should do when the message is dead
	Err         error         // the client's error underneath
}

// Error describes the failure on one line.
func (f *Failure) Error() string {
	var parts []string
	if f.Status != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d", f.Status))
	}
	if f.ReasonCode != "" {
		parts = append(parts, f.ReasonCode)
	}
	if f.Message != "" {
		parts = append(parts, f.Message)
	}
	if f.Origin != "" {
		parts = append(parts, "at "+f.Origin)
	}
	if len(parts) == 0 && f.Err != nil {
		parts = append(parts, f.Err.Error())
	}
	return strings.Join(parts, ": ")
}

// Unwrap returns the client's error.
func (f *Failure) Unwrap() error { return f.Err }

// verdict is how the outbox handles an attempt's end.
type verdict int

const (
	vDone      verdict = iota
	vRetry             // failed; another attempt after a backoff, or dead when none is left
	vDead              // refused for good
	vHeld              // the remote cannot be reached; the attempt is given back
	vNotSent           // the request never left; the attempt is given back
	vFatal             // a person must act; the attempt is given back and the run stops
	vCancelled         // the run was cancelled mid-attempt; the outcome is unknown
)

// readyer is an error that says when its remote answers again (remote.OfflineError).
type readyer interface{ Ready() <-chan struct{} }

// classify reads an attempt's error. ctx is the run's.
func (o *Outbox) classify(ctx context.Context, err error) (verdict, *Failure, <-chan struct{}) {
	if err == nil {
		return vDone, nil, nil
	}
	if ctx.Err() != nil {
		return vCancelled, nil, nil
	}
	var r readyer
	if errors.As(err, &r) && r.Ready() != nil {
		return vHeld, &Failure{Message: err.Error(), Err: err}, r.Ready()
	}
	if remote.IsOffline(err) {
		// Unreachable, but no channel to wait on: try again after the backoff, spending nothing.
		return vNotSent, &Failure{NotSent: true, Message: err.Error(), Err: err}, nil
	}
	if o.opts.Fatal(err) {
		return vFatal, &Failure{Message: err.Error(), Err: err}, nil
	}
	var f *Failure
	if !errors.As(err, &f) {
		f = &Failure{Message: err.Error(), Err: err, Permanent: !remote.Retryable(err),
			NotSent: errors.Is(err, remote.ErrCircuitOpen)}
		var re *remote.Error
		if errors.As(err, &re) {
			f.Status, f.ReasonCode, f.RetryAfter = re.Status, re.Code, re.RetryAfter
		}
	}
	switch {
	case f.NotSent:
		return vNotSent, f, nil
	case f.Permanent:
		return vDead, f, nil
	}
	return vRetry, f, nil
}
