package remote

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// RetryPolicy shapes the exponential backoff between attempts of one request. Zero fields take the
// defaults the architecture fixes for every client: 1 s initial, ×2, ±20 % jitter, capped at 32 s,
// 8 attempts, 5 minutes in all.
type RetryPolicy struct {
	InitialInterval time.Duration
	MaxInterval     time.Duration // cap on any single wait, jitter included (default 32 s)
	Multiplier      float64
	Jitter          float64 // randomisation factor (default 0.2 = ±20 %)
	MaxAttempts     int     // attempts per request, the first included (default 8)
	MaxElapsed      time.Duration
	// MaxRetryAfter caps a server-requested wait (default 5 min); a longer Retry-After is returned to
	// the caller as the error instead of blocking the request.
	MaxRetryAfter time.Duration
}

// RetryEvent describes one retry decision.
type RetryEvent struct {
	Op      string        // method and path
	Attempt int           // the attempt that failed, from 1
	Wait    time.Duration // the wait before the next attempt
	Err     error         // why the attempt failed
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.InitialInterval <= 0 {
		p.InitialInterval = time.Second
	}
	if p.MaxInterval <= 0 {
		p.MaxInterval = 32 * time.Second
	}
	if p.Multiplier < 1 {
		p.Multiplier = 2
	}
	if p.Jitter <= 0 {
		p.Jitter = 0.2
	}
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 8
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = 5 * time.Minute
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = 5 * time.Minute
	}
	return p
}

// backOff returns a fresh backoff sequence for one request. The sequence comes from
// cenkalti/backoff; it is driven here rather than through backoff.Retry because a request's wait
// also depends on Retry-After and the wait itself must be observable in tests (Config.Sleep).
func (p RetryPolicy) backOff() backoff.BackOff {
	b := &backoff.ExponentialBackOff{
		InitialInterval:     p.InitialInterval,
		RandomizationFactor: p.Jitter,
		Multiplier:          p.Multiplier,
		MaxInterval:         p.MaxInterval,
	}
	b.Reset()
	return capped{b, p.MaxInterval}
}

// Wait is the backoff before attempt n+1 of a request whose attempt n failed (n from 1): the policy's
// sequence, for a caller that keeps the count of attempts itself across runs (the outbox's messages).
func (p RetryPolicy) Wait(n int) time.Duration {
	b := p.withDefaults().backOff()
	d := b.NextBackOff()
	for i := 1; i < n; i++ {
		d = b.NextBackOff()
	}
	return d
}

// capped keeps every wait, jitter included, at or below max ("capped at 32 s").
type capped struct {
	backoff.BackOff
	max time.Duration
}

// NextBackOff is the wrapped sequence's next wait, capped.
func (c capped) NextBackOff() time.Duration {
	return min(c.BackOff.NextBackOff(), c.max)
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date. ok is false when the
// header is absent or unreadable.
func parseRetryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(h)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}
