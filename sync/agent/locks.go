package agent

import (
	"context"
	"sync"
)

// keyLocks are mutexes by name (a study OID), created on first use: a pull of a study and a reset of
// its position never overlap.
type keyLocks struct {
	mu    sync.Mutex
	locks map[string]chan struct{} // a 1-buffered channel per key: full while held
}

func (k *keyLocks) get(key string) chan struct{} {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.locks == nil {
		k.locks = map[string]chan struct{}{}
	}
	l := k.locks[key]
	if l == nil {
		l = make(chan struct{}, 1)
		k.locks[key] = l
	}
	return l
}

// lock waits for key's lock (or ctx) and returns its release.
func (k *keyLocks) lock(ctx context.Context, key string) (func(), error) {
	l := k.get(key)
	select {
	case l <- struct{}{}:
		return func() { <-l }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// tryLock takes key's lock only if it is free.
func (k *keyLocks) tryLock(key string) (func(), bool) {
	l := k.get(key)
	select {
	case l <- struct{}{}:
		return func() { <-l }, true
	default:
		return nil, false
	}
}
