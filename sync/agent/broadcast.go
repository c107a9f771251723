package agent

import "sync"

// broadcast tells every subscriber that the agent's state changed. Each subscriber has its own
// 1-buffered channel fed with non-blocking sends: a slow reader finds one pending signal and reads the
// latest state, never a backlog, and no reader takes a signal meant for another.
type broadcast struct {
	mu   sync.Mutex
	subs map[int]chan struct{}
	next int
}

// subscribe returns a new subscriber's channel and the function that ends the subscription.
func (b *broadcast) subscribe() (<-chan struct{}, func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = map[int]chan struct{}{}
	}
	id := b.next
	b.next++
	ch := make(chan struct{}, 1)
	b.subs[id] = ch
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, id)
			b.mu.Unlock()
		})
	}
}

// notify signals every subscriber without blocking.
func (b *broadcast) notify() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ch := range b.subs {
		select {
		case ch <- struct{}{}:
		default: // a signal is already pending
		}
	}
}
