package remote

import (
	"errors"
	"net/http"
	"time"

	"github.com/sony/gobreaker/v2"
)

// BreakerPolicy configures the per-remote circuit breaker.
type BreakerPolicy struct {
	// Failures is how many consecutive failed attempts open the breaker (default 5).
	Failures uint32
	// OpenFor is how long the breaker stays open before letting a probe through (default 30 s).
	OpenFor time.Duration
	// OnStateChange, when set, is told each transition ("closed", "open", "half-open").
	OnStateChange func(from, to string)
}

func (p BreakerPolicy) withDefaults() BreakerPolicy {
	if p.Failures == 0 {
		p.Failures = 5
	}
	if p.OpenFor <= 0 {
		p.OpenFor = 30 * time.Second
	}
	return p
}

// Attempt outcomes the breaker does not count: the caller went away, or the remote could not be reached
// at all (that is the offline state's business, not a sign of a failing service).
var (
	errCallerGone = errors.New("caller cancelled")
	errNotReached = errors.New("remote not reached")
)

// newBreaker builds the per-remote circuit breaker. Only failures that say the remote is in trouble
// count (5xx, 429, transport errors, failed answer bodies); a 404 or a refused login is the remote
// answering properly and counts as a success.
func (c *Client) newBreaker(p BreakerPolicy) *gobreaker.TwoStepCircuitBreaker[struct{}] {
	return gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        c.name,
		MaxRequests: 1,
		Timeout:     p.OpenFor,
		ReadyToTrip: func(n gobreaker.Counts) bool { return n.ConsecutiveFailures >= p.Failures },
		IsSuccessful: func(err error) bool {
			return err == nil || !breakerFailure(err)
		},
		IsExcluded: func(err error) bool { return errors.Is(err, errCallerGone) || errors.Is(err, errNotReached) },
		OnStateChange: func(name string, from, to gobreaker.State) {
			c.log.Warn().Str("remote", name).Str("from", from.String()).Str("to", to.String()).Msg("circuit breaker")
			c.state.breakerChanged(to, p.OpenFor)
			if p.OnStateChange != nil {
				p.OnStateChange(from.String(), to.String())
			}
		},
	})
}

// breakerFailure reports whether an attempt's error says the remote is in trouble. A 401 does not:
// the credential policy deals with it (and an open breaker would hide "credential rejected"). Nor does
// a 429: the remote is answering and says when to come back, which the retry policy honours; counting
// it would turn a short storm of 429s into a 30 s pause per probe. Errors from an answer body (an
// API's own check, a cut connection) count whatever their type.
func breakerFailure(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Retryable && e.Status != http.StatusUnauthorized && e.Status != http.StatusTooManyRequests
	}
	return true
}
