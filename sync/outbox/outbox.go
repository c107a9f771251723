package outbox

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/remote"
)

// Options configure an Outbox; the zero value of each field picks the documented default.
type Options struct {
	// Log receives one line per attempt's end (message, kind, key, attempt, request hash, status,
	// reference, outcome) and per recovery; never a payload.
	Log zerolog.Logger
	// Concurrency bounds the requests in flight at once, across keys (default 4, the clients' own
	// bound). A key never has more than one.
	Concurrency int
	// RetryInterval is the first backoff after a failed attempt (default 1 s); each further failure of
	// the message doubles it, with ±20 % jitter, up to MaxRetryInterval (default 32 s).
	RetryInterval    time.Duration
	MaxRetryInterval time.Duration
	// Fatal reports an error no retry can fix (default remote.IsFatal); the agent passes its own, which
	// also knows the store's and the keyring's.
	Fatal func(error) bool
	// Now is the clock (default time.Now); tests pin it.
	Now func() time.Time
}

// Outbox delivers the messages of a store. It is safe for concurrent use; build one per store (see
// the package documentation).
type Outbox struct {
	db   *store.DB
	opts Options

	mu        sync.Mutex
	kinds     map[string]registration
	running   map[string]bool     // kinds a Deliver is delivering now
	live      map[string]struct{} // claim tokens of attempts in flight in this process
	bumped    chan struct{}       // closed and replaced when messages change outside a run: runs wake and rescan
	firstOpen uint64              // no message below this ID will ever change again
	window    int                 // messages claimed and not completed, at most (4 × Concurrency)
}

type registration struct {
	sender Sender
	policy Policy
}

// New returns the outbox of db.
func New(db *store.DB, opts Options) *Outbox {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.RetryInterval <= 0 {
		opts.RetryInterval = time.Second
	}
	if opts.MaxRetryInterval <= 0 {
		opts.MaxRetryInterval = 32 * time.Second
	}
	opts.MaxRetryInterval = max(opts.MaxRetryInterval, opts.RetryInterval)
	if opts.Fatal == nil {
		opts.Fatal = remote.IsFatal
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Outbox{db: db, opts: opts, kinds: map[string]registration{}, running: map[string]bool{},
		live: map[string]struct{}{}, bumped: make(chan struct{}), firstOpen: 1,
		window: 4 * opts.Concurrency}
}

// DB returns the store the outbox keeps its messages in.
func (o *Outbox) DB() *store.DB { return o.db }

// Register sets the sender of a kind and how its messages are retried, replacing any earlier one.
// Runs already delivering the kind keep the sender they started with.
func (o *Outbox) Register(kind string, s Sender, p Policy) {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.kinds[kind] = registration{sender: s, policy: p}
}

// Kinds returns the registered kinds, sorted.
func (o *Outbox) Kinds() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Sorted(maps.Keys(o.kinds))
}

// ErrBusy is returned by Deliver when another run is delivering one of the kinds asked for.
var ErrBusy = errors.New("outbox: a delivery of these messages is already running")

// ErrNoSender is returned by Deliver for a kind no Sender is registered for.
var ErrNoSender = errors.New("outbox: no sender registered")

// begin reserves kinds for one run and returns their registrations.
func (o *Outbox) begin(kinds []string) (map[string]registration, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if kinds == nil {
		for k := range o.kinds {
			kinds = append(kinds, k)
		}
	}
	regs := map[string]registration{}
	for _, k := range kinds {
		r, ok := o.kinds[k]
		if !ok {
			return nil, fmt.Errorf("%w for %s messages", ErrNoSender, k)
		}
		if o.running[k] {
			return nil, fmt.Errorf("%w (%s)", ErrBusy, k)
		}
		regs[k] = r
	}
	for k := range regs {
		o.running[k] = true
	}
	return regs, nil
}

func (o *Outbox) end(regs map[string]registration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k := range regs {
		delete(o.running, k)
	}
}

func (o *Outbox) isLive(claim string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, ok := o.live[claim]
	return ok
}

func (o *Outbox) setLive(claim string, live bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if live {
		o.live[claim] = struct{}{}
	} else {
		delete(o.live, claim)
	}
}

// Notify tells running deliveries that messages changed outside them (an engine enqueued some, a
// person revived one), so that they look again now rather than after their current wait. Engines call
// it after the transaction that enqueued has committed.
func (o *Outbox) Notify() {
	o.mu.Lock()
	defer o.mu.Unlock()
	close(o.bumped)
	o.bumped = make(chan struct{})
}

// changed returns a channel closed at the next Notify.
func (o *Outbox) changed() <-chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.bumped
}

// start is the first message ID a walk needs to look at.
func (o *Outbox) start() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.firstOpen
}

// advance records that no message below id will change again (it only ever moves forward).
func (o *Outbox) advance(id uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.firstOpen = max(o.firstOpen, id)
}

// wait returns the backoff before attempt n+1 of a message whose attempt n failed: RetryInterval
// doubled n-1 times, ±20 % jitter, capped at MaxRetryInterval (the remote clients' policy, with the
// outbox's intervals).
func (o *Outbox) wait(n int) time.Duration {
	return remote.RetryPolicy{InitialInterval: o.opts.RetryInterval, MaxInterval: o.opts.MaxRetryInterval}.Wait(n)
}

func (o *Outbox) now() time.Time { return o.opts.Now().UTC() }
