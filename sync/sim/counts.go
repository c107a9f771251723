package sim

import "sync"

// Counts tallies what a simulator did, by kind ("200", "429", "drop", "replay", …), so that a test
// can assert that a fault really happened rather than infer it from the client's behaviour. The
// zero value is ready to use and safe for concurrent use.
type Counts struct {
	mu sync.Mutex
	m  map[string]int
}

// Add counts one event of a kind.
func (c *Counts) Add(kind string) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[kind]++
	c.mu.Unlock()
}

// Get returns how many events of a kind were counted.
func (c *Counts) Get(kind string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[kind]
}
