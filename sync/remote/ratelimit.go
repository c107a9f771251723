package remote

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// pacer paces requests to one remote. When the server states its budget (X-RateLimit-Remaining), its
// word governs: requests go out while some remain, and wait for the reset once none do. When it does
// not, the local limiter is the fallback.
type pacer struct {
	limiter *rate.Limiter
	maxHold time.Duration

	mu        sync.Mutex
	known     bool
	remaining int
	holdUntil time.Time
}

func newPacer(rps float64, burst int, maxHold time.Duration) *pacer {
	if rps <= 0 {
		rps = 10
	}
	if burst <= 0 {
		burst = 5
	}
	return &pacer{limiter: rate.NewLimiter(rate.Limit(rps), burst), maxHold: maxHold}
}

// wait blocks until a request may go out; sleep spends the server's hold (tests observe it).
func (p *pacer) wait(ctx context.Context, sleep func(context.Context, time.Duration) error) error {
	p.mu.Lock()
	hold := time.Until(p.holdUntil)
	known, remaining := p.known, p.remaining
	p.mu.Unlock()
	if hold > 0 {
		return sleep(ctx, hold)
	}
	if known && remaining > 0 {
		return nil
	}
	return p.limiter.Wait(ctx)
}

// note reads X-RateLimit-Remaining (and -Reset, seconds until the window resets, or an epoch time)
// when the server sends them.
func (p *pacer) note(h http.Header) {
	rem := h.Get("X-RateLimit-Remaining")
	if rem == "" {
		return
	}
	n, err := strconv.Atoi(strings.TrimSpace(rem))
	if err != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.known, p.remaining = true, n
	if n > 0 {
		p.holdUntil = time.Time{}
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
	p.holdUntil = time.Now().Add(min(max(reset, 0), p.maxHold))
}

// last returns the last X-RateLimit-Remaining, and whether the server ever sent one.
func (p *pacer) last() (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.remaining, p.known
}
