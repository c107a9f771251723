// Package remotetest helps tests of the clients built on sync/remote observe what a client decided
// without spending real time on it.
package remotetest

import (
	"context"
	"sync"
	"time"
)

// Waits records the waits a client computed (Retry-After, backoff, a rate-limit hold) instead of
// spending them: pass its Sleep as the client's Config.Sleep. The zero value is ready to use and safe
// for concurrent use.
type Waits struct {
	mu sync.Mutex
	d  []time.Duration
}

// Sleep records d and returns at once, with ctx's error if it has ended.
func (w *Waits) Sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	return ctx.Err()
}

// All returns the waits recorded so far, in order.
func (w *Waits) All() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}
