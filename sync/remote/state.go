package remote

import (
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
)

// The values of State.State.
const (
	StateOnline      = "online"
	StateOffline     = "offline"
	StateBreakerOpen = "breaker open"
)

// State is a remote's condition as the dashboard shows it. It is a value: reading it costs a mutex.
type State struct {
	Name  string // the remote's name, e.g. "rave"
	State string // StateOnline, StateOffline or StateBreakerOpen
	// LastError says in a coordinator's words why the remote is not online, or what the last failed
	// request met while it is; "" after a success.
	LastError string
	// Since is when State last changed.
	Since time.Time
}

// tracker holds a client's State and the offline machinery: the channel closed when the remote answers
// again, and whether a probe is running.
type tracker struct {
	mu       sync.Mutex
	cur      State
	changed  chan struct{} // closed (and replaced) at every change
	ready    chan struct{} // non-nil exactly while offline; closed when the remote answers again
	cause    error         // why it went offline
	breaker  gobreaker.State
	openedAt time.Time
	openFor  time.Duration
}

func newTracker(name string) *tracker {
	return &tracker{cur: State{Name: name, State: StateOnline, Since: time.Now()}, changed: make(chan struct{})}
}

func (t *tracker) get() State {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cur
}

func (t *tracker) watch() (State, <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cur, t.changed
}

// set changes the state (callers hold mu) and wakes every watcher.
func (t *tracker) set(state, lastErr string) {
	if t.cur.State == state && t.cur.LastError == lastErr {
		return
	}
	if t.cur.State != state {
		t.cur.Since = time.Now()
	}
	t.cur.State, t.cur.LastError = state, lastErr
	close(t.changed)
	t.changed = make(chan struct{})
}

// goOffline records that the remote could not be reached. It returns the ready channel and whether the
// caller must start the probe (the first to find the remote offline does).
func (t *tracker) goOffline(cause error, words string) (ready chan struct{}, since time.Time, startProbe bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cause = cause
	if t.ready == nil {
		t.ready, startProbe = make(chan struct{}), true
	}
	t.set(StateOffline, words)
	return t.ready, t.cur.Since, startProbe
}

// isOffline returns the ready channel, the cause and the time while offline.
func (t *tracker) isOffline() (ready chan struct{}, cause error, words string, since time.Time, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ready == nil {
		return nil, nil, "", time.Time{}, false
	}
	return t.ready, t.cause, t.cur.LastError, t.cur.Since, true
}

// answered records that the remote answered (any HTTP answer counts): an offline remote is back.
func (t *tracker) answered() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ready == nil {
		return
	}
	t.cause = nil
	close(t.ready)
	t.ready = nil
	t.set(t.onlineState(), "")
}

func (t *tracker) onlineState() string {
	if t.breaker == gobreaker.StateClosed {
		return StateOnline
	}
	return StateBreakerOpen
}

// breakerChanged follows the breaker; half-open still shows as open until a probe succeeds.
func (t *tracker) breakerChanged(to gobreaker.State, openFor time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.breaker = to
	if to == gobreaker.StateOpen {
		t.openedAt, t.openFor = time.Now(), openFor
	}
	if t.ready != nil {
		return
	}
	switch to {
	case gobreaker.StateOpen:
		t.set(StateBreakerOpen, "paused after repeated failures; trying again in "+openFor.Round(time.Second).String()+lastWords(t.cur.LastError))
	case gobreaker.StateClosed:
		t.set(StateOnline, "")
	}
}

func lastWords(s string) string {
	if s == "" {
		return ""
	}
	return " (last: " + s + ")"
}

// openRemaining is how long the breaker stays open.
func (t *tracker) openRemaining() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return max(t.openFor-time.Since(t.openedAt), 0)
}

// outcome records the end of a request: a success clears LastError, a failure sets it (the state
// itself changes only through the offline and breaker paths).
func (t *tracker) outcome(words string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ready != nil {
		return
	}
	if t.cur.State == StateBreakerOpen && words != "" {
		return // keep the breaker's own explanation
	}
	t.set(t.cur.State, words)
}
