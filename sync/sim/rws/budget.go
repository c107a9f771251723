package rws

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// budget is the request budget a tenant states when Options.RateLimit is set: so many requests per
// one-second window, announced in X-RateLimit-Limit / -Remaining / -Reset on every authorised answer,
// and a 429 with Retry-After beyond it. RWS itself sends no such headers (RateLimit 0, the default);
// gateways in front of a tenant do, and a client that reads them may go as fast as they allow.
type budget struct {
	limit  int
	mu     sync.Mutex
	window time.Time // start of the current second
	used   int
}

// admit counts one request and sets the budget headers; it answers 429 itself and returns false when
// the window's budget is spent.
func (b *budget) admit(s *Server, w http.ResponseWriter) bool {
	if b == nil || b.limit <= 0 {
		return true
	}
	now := time.Now()
	b.mu.Lock()
	if now.Sub(b.window) >= time.Second {
		b.window, b.used = now.Truncate(time.Second), 0
	}
	b.used++
	left, reset := b.limit-b.used, b.window.Add(time.Second).Sub(now)
	b.mu.Unlock()
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(b.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(left, 0)))
	h.Set("X-RateLimit-Reset", "1")
	if left >= 0 {
		return true
	}
	s.count("429")
	h.Set("Retry-After", strconv.Itoa(max(int(reset.Round(time.Second)/time.Second), 1)))
	refuse(w, nil, http.StatusTooManyRequests)
	return false
}
