package rws

import (
	"errors"
	"time"

	"github.com/rs/zerolog"
	"github.com/sony/gobreaker/v2"
)

// newBreaker builds the per-remote circuit breaker. Only failures that say the tenant is in trouble
// count (5xx, 429, transport errors, truncated bodies); a 404 or a refused login is the tenant
// answering properly and counts as a success; the caller's own cancellation is not counted at all.
func newBreaker(name string, p BreakerPolicy, log zerolog.Logger) *gobreaker.TwoStepCircuitBreaker[struct{}] {
	failures := p.Failures
	if failures == 0 {
		failures = 5
	}
	openFor := p.OpenFor
	if openFor <= 0 {
		openFor = 30 * time.Second
	}
	return gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        name,
		MaxRequests: 1,
		Timeout:     openFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
		IsSuccessful: func(err error) bool {
			return err == nil || !Retryable(err)
		},
		IsExcluded: func(err error) bool { return errors.Is(err, errCallerGone) },
		OnStateChange: func(name string, from, to gobreaker.State) {
			log.Warn().Str("remote", name).Str("from", from.String()).Str("to", to.String()).Msg("rws circuit breaker")
			if p.OnStateChange != nil {
				p.OnStateChange(from.String(), to.String())
			}
		},
	})
}

// errCallerGone marks an attempt abandoned because the caller's context ended.
var errCallerGone = errors.New("rws: caller cancelled")
