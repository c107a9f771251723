package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// AnswerPolicy bounds how an answer body may arrive, so that a stalled, trickling or endless answer
// ends with an error instead of holding a pull for ever. Time counts only while the reader waits on the
// network: a slow consumer (a parser committing a transaction) is not held against the remote.
type AnswerPolicy struct {
	// Idle is how long a read may wait without receiving a byte (default 60 s).
	Idle time.Duration
	// MinRate is the average, in bytes per second of waiting, an answer must keep up once Grace has
	// been spent waiting (default 1024: a trickle of a byte now and then fails, a slow link does not).
	MinRate int
	// Grace is the waiting time allowed before MinRate applies (default 60 s).
	Grace time.Duration
	// MaxDuration bounds one answer from its headers to its end, consumer time included (default 6 h,
	// far beyond any real export).
	MaxDuration time.Duration
}

func (p AnswerPolicy) withDefaults() AnswerPolicy {
	if p.Idle <= 0 {
		p.Idle = 60 * time.Second
	}
	if p.MinRate <= 0 {
		p.MinRate = 1024
	}
	if p.Grace <= 0 {
		p.Grace = 60 * time.Second
	}
	if p.MaxDuration <= 0 {
		p.MaxDuration = 6 * time.Hour
	}
	return p
}

// Why an answer's context was cancelled by the client itself.
var (
	errIdle    = errors.New("idle")
	errTooLong = errors.New("too long")
)

// timedReader reads an answer's body under the AnswerPolicy and turns its failures into *Error.
type timedReader struct {
	rc      io.Reader
	op      *Error // Remote and Op for the errors it makes
	policy  AnswerPolicy
	max     int64 // 0: no size bound
	caller  context.Context
	attempt context.Context // cancelled with errIdle or errTooLong
	idle    *time.Timer
	long    *time.Timer
	fired   atomic.Bool

	n      int64
	waited time.Duration
	err    error
}

func newTimedReader(rc io.Reader, caller, attempt context.Context, cancel context.CancelCauseFunc, p AnswerPolicy, max int64, op *Error) *timedReader {
	t := &timedReader{rc: rc, op: op, policy: p, max: max, caller: caller, attempt: attempt}
	t.idle = time.AfterFunc(time.Hour, func() { t.fired.Store(true); cancel(errIdle) })
	t.idle.Stop()
	t.long = time.AfterFunc(p.MaxDuration, func() { cancel(errTooLong) })
	return t
}

func (t *timedReader) stop() {
	t.idle.Stop()
	t.long.Stop()
}

// Read reads from the body, failing when no byte comes within Idle, when the answer falls below
// MinRate, when it exceeds its size bound or MaxDuration.
func (t *timedReader) Read(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	t.idle.Reset(t.policy.Idle)
	start := time.Now()
	n, err := t.rc.Read(p)
	t.idle.Stop()
	t.waited += time.Since(start)
	t.n += int64(n)
	switch {
	case err == nil || err == io.EOF:
	case t.caller.Err() != nil:
		t.err = context.Cause(t.caller)
	case t.fired.Load() || context.Cause(t.attempt) == errIdle:
		t.err = t.fail(fmt.Sprintf("no data for %s while reading the answer", t.policy.Idle), ErrStalled)
	case context.Cause(t.attempt) == errTooLong:
		t.err = t.fail(fmt.Sprintf("the answer did not end within %s", t.policy.MaxDuration), ErrStalled)
	default:
		t.err = t.fail("reading the answer", stripURL(err))
	}
	if t.err != nil {
		return n, t.err
	}
	if t.max > 0 && t.n > t.max {
		t.err = t.fail(fmt.Sprintf("the answer is larger than %d bytes", t.max), ErrTooLarge)
		return n, t.err
	}
	if over := t.waited - t.policy.Grace; over > 0 && err == nil && float64(t.n) < float64(t.policy.MinRate)*over.Seconds() {
		t.err = t.fail(fmt.Sprintf("the answer arrives too slowly (%d bytes in %s)", t.n, t.waited.Round(time.Millisecond)), ErrStalled)
		return n, t.err
	}
	return n, err
}

func (t *timedReader) fail(msg string, cause error) *Error {
	return &Error{Remote: t.op.Remote, Op: t.op.Op, Message: msg, Err: cause, Retryable: !errors.Is(cause, ErrTooLarge)}
}

// body is a successful answer's Body: it reads through the API's wrapper (if any) over the timed
// reader and, on Close, releases the request's concurrency slot and tells the breaker how the answer
// went (any error other than the caller's own cancellation counts as a failure).
type body struct {
	rc     io.ReadCloser // the response body from net/http
	r      io.Reader     // what Read reads: the API's wrapper over timed, or timed
	timed  *timedReader
	caller context.Context

	mu     sync.Mutex
	failed error
	once   sync.Once
	finish func(error)
}

// Read reads the answer.
func (b *body) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF && b.caller.Err() == nil {
		b.mu.Lock()
		if b.failed == nil {
			b.failed = err
		}
		b.mu.Unlock()
	}
	return n, err
}

// Close releases the request; it is safe to call more than once.
func (b *body) Close() error {
	err := b.rc.Close()
	b.once.Do(func() {
		b.timed.stop()
		b.mu.Lock()
		failed := b.failed
		b.mu.Unlock()
		b.finish(failed)
	})
	return err
}
