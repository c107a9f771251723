package outbox

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/trialsync/trialsync/store"
)

// DeliverOptions choose what a run delivers.
type DeliverOptions struct {
	// Kinds are the kinds to deliver; nil means every registered kind.
	Kinds []string
}

// Report is what one delivery run did.
type Report struct {
	Sent      int // messages delivered (done) in this run, Skipped ones included
	Skipped   int // of which nothing was left to send
	Dead      int // messages that died in this run (refused for good, or out of attempts)
	Failed    int // attempts that failed and will be tried again
	Recovered int // attempts found interrupted when the run started (the process had died)
	Stale     int // outcomes that arrived after their message was discarded
	Held      int // messages held when the run ended: their remote cannot be reached
	Blocked   int // messages waiting behind a dead message of their key when the run ended
	// Offline lists the kinds whose remote could not be reached: their messages are held, and a run
	// after Ready is closed sends them.
	Offline []Offline
}

// Offline is a kind whose remote could not be reached during a run.
type Offline struct {
	Kind  string
	Err   error           // what the sender returned
	Ready <-chan struct{} // closed when the remote answers again
}

// Deliver runs one delivery: it sends the due messages of the chosen kinds, in order per key, at most
// Options.Concurrency at a time, retries failures after their backoff within the run, and returns when
// every message of those kinds is done, dead, held (its remote cannot be reached) or waiting behind a
// dead message. It first recovers the attempts a dead process left in flight.
//
// It returns an error when it could not go on: the run was cancelled, the store failed, or a sender
// returned a fatal error (the message it was sending keeps its attempt and waits). The Report counts
// what was done until then.
func (o *Outbox) Deliver(ctx context.Context, opts DeliverOptions) (Report, error) {
	regs, err := o.begin(opts.Kinds)
	if err != nil {
		return Report{}, err
	}
	defer o.end(regs)
	window := o.window
	r := &run{o: o, regs: regs, results: make(chan result, window), sem: make(chan struct{}, o.opts.Concurrency),
		window: window, perKind: map[string]int{}, offline: map[string]*Offline{}, probing: map[string]bool{},
		dirty: true}
	if err := r.recover(ctx); err != nil {
		return r.rep, err
	}
	for {
		if r.inflight > 0 {
			// Group commit: the attempts that ended and the next claims share one transaction.
			todo := r.receive(ctx)
			claimed := r.complete(ctx, todo, r.next(ctx))
			r.launchAll(ctx, claimed)
			continue
		}
		if next := r.next(ctx); len(next) > 0 {
			r.launchAll(ctx, r.complete(ctx, nil, next))
			continue
		}
		if r.fatal != nil || r.stopping || ctx.Err() != nil || r.wake.IsZero() {
			break
		}
		r.sleep(ctx)
	}
	if err := r.count(context.WithoutCancel(ctx)); err != nil && r.fatal == nil {
		r.fatal = err
	}
	for _, k := range slices.Sorted(maps.Keys(r.offline)) {
		r.rep.Offline = append(r.rep.Offline, *r.offline[k])
	}
	if r.fatal == nil && ctx.Err() != nil {
		r.fatal = context.Cause(ctx)
	}
	return r.rep, r.fatal
}

// run is one Deliver's state; only Deliver's goroutine touches it (the senders report on results).
type run struct {
	o        *Outbox
	regs     map[string]registration
	rep      Report
	results  chan result
	sem      chan struct{}
	window   int // messages claimed and not yet completed, at most
	inflight int
	perKind  map[string]int
	offline  map[string]*Offline
	probing  map[string]bool // kinds whose remote was offline: one attempt at a time until one is answered
	cands    []Message       // due heads from the last scan, in ID order
	scanned  <-chan struct{} // the outbox's change channel at the last scan: another means a Notify since
	dirty    bool            // something changed since the last scan
	stopping bool            // a fatal error came back: no more claims
	wake     time.Time       // the earliest NextAttempt of a head not yet due; zero when none
	fatal    error
}

type result struct {
	m   Message // as claimed
	out Outcome
	err error
}

// next picks the due messages to claim now, up to the window: none once the run is stopping. It
// scans the queue again when its candidates are used up and something has changed since.
func (r *run) next(ctx context.Context) []Message {
	n := r.window - r.inflight
	if n <= 0 || r.fatal != nil || r.stopping || ctx.Err() != nil {
		return nil
	}
	if notified := r.scanned != r.o.changed(); len(r.cands) == 0 || notified {
		if !r.dirty && !notified {
			return nil
		}
		if err := r.scan(ctx); err != nil {
			r.fatal = err
			return nil
		}
	}
	return r.pick(n)
}

// scan walks the unfinished messages and collects the heads of their keys that are due; it notes the
// earliest NextAttempt of those that are not, and moves the outbox's starting point past the messages
// that can no longer change.
func (r *run) scan(ctx context.Context) error {
	r.scanned, r.dirty, r.cands, r.wake = r.o.changed(), false, r.cands[:0], time.Time{}
	now := r.o.now()
	start := r.o.start()
	var firstOpen, last uint64
	seen := map[lane]bool{}
	err := r.o.db.View(ctx, func(tx *store.Tx) error {
		return store.Outbox[Message](tx).Walk(start-1, func(id uint64, m Message) error {
			last = id
			if m.finished() {
				return nil
			}
			if firstOpen == 0 {
				firstOpen = id
			}
			l := m.lane()
			if seen[l] {
				return nil // behind the key's head
			}
			seen[l] = true
			if _, ok := r.regs[m.Kind]; !ok || r.offline[m.Kind] != nil {
				return nil
			}
			if m.State != Pending && m.State != Held {
				return nil
			}
			if m.NextAttempt.After(now) {
				if r.wake.IsZero() || m.NextAttempt.Before(r.wake) {
					r.wake = m.NextAttempt
				}
				return nil
			}
			if m.State == Held {
				r.probing[m.Kind] = true
			}
			r.cands = append(r.cands, m)
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("outbox: reading the queue: %w", err)
	}
	switch {
	case firstOpen != 0:
		r.o.advance(firstOpen)
	case last != 0:
		r.o.advance(last + 1)
	}
	return nil
}

// pick takes up to n candidates, in order, skipping kinds gone offline (their messages are held) and,
// for a kind being probed, any but one attempt in flight. It looks no further than it must: the
// candidates after the last one taken stay as they are.
func (r *run) pick(n int) []Message {
	var out, keep []Message
	taken := map[string]int{}
	i := 0
	for ; i < len(r.cands) && len(out) < n; i++ {
		m := r.cands[i]
		switch {
		case r.offline[m.Kind] != nil:
			// dropped: held with its kind
		case r.probing[m.Kind] && r.perKind[m.Kind]+taken[m.Kind] > 0:
			keep = append(keep, m)
		default:
			out = append(out, m)
			taken[m.Kind]++
		}
	}
	if len(keep) == 0 {
		r.cands = r.cands[i:]
	} else {
		r.cands = append(keep, r.cands[i:]...)
	}
	return out
}

// claimTx moves the batch to sending within tx, one attempt more each, with a new claim token and its
// outbox.send entry: committed before any request leaves. A message that changed since the scan
// (claimed, discarded, rescheduled) is left out.
func (r *run) claimTx(tx *store.Tx, batch []Message) ([]Message, error) {
	var claimed []Message
	now := r.o.now()
	t := store.Outbox[Message](tx)
	for _, c := range batch {
		m, ok, err := t.Get(c.ID)
		if err != nil {
			return nil, err
		}
		if !ok || (m.State != Pending && m.State != Held) || m.Claim != "" || m.NextAttempt.After(now) {
			continue
		}
		was := m.State
		m.State, m.Attempts, m.Claim, m.Updated = Sending, m.Attempts+1, newToken(), now
		if err := t.Put(m.ID, m); err != nil {
			return nil, err
		}
		max := r.regs[m.Kind].policy.MaxAttempts
		if _, err := tx.Append(store.Entry{Action: store.ActionOutboxSend, Object: m.Object(), CorrelationID: m.Claim,
			Old: string(was), New: string(Sending), PayloadHash: hashOf(m.Payload),
			Reason: fmt.Sprintf("attempt %d of %d: %s %s", m.Attempts, max, m.Kind, m.Key)}); err != nil {
			return nil, err
		}
		claimed = append(claimed, m)
	}
	return claimed, nil
}

// launchAll starts the claimed messages' attempts.
func (r *run) launchAll(ctx context.Context, claimed []Message) {
	for _, m := range claimed {
		r.launch(ctx, m)
	}
}

// launch sends m on its own goroutine, once a concurrency slot is free.
func (r *run) launch(ctx context.Context, m Message) {
	r.inflight++
	r.perKind[m.Kind]++
	s := r.regs[m.Kind].sender
	go func() {
		select {
		case r.sem <- struct{}{}:
		case <-ctx.Done():
			r.results <- result{m: m, err: context.Cause(ctx)}
			return
		}
		out, err := send(ctx, s, m)
		<-r.sem
		r.results <- result{m: m, out: out, err: err}
	}()
}

// send calls the sender, turning a panic into an error: a bug in one engine's sender must not take the
// agent down, and the message keeps its place.
func send(ctx context.Context, s Sender, m Message) (out Outcome, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("outbox: the %s sender failed (please report it with the log file): %v", m.Kind, v)
		}
	}()
	return s.Send(ctx, m)
}

// receive waits for at least one attempt to end, takes every other one already ended, and reads
// them: a kind whose remote cannot be reached is marked offline (its candidates are dropped), a fatal
// error stops the claims.
func (r *run) receive(ctx context.Context) []*ended {
	batch := []result{<-r.results}
	for more := true; more; {
		select {
		case res := <-r.results:
			batch = append(batch, res)
		default:
			more = false
		}
	}
	r.inflight -= len(batch)
	var todo []*ended
	for _, res := range batch {
		r.perKind[res.m.Kind]--
		v, f, ready := r.o.classify(ctx, res.err)
		if v == vCancelled {
			r.o.setLive(res.m.Claim, false)
			r.o.opts.Log.Info().Uint64("message", res.m.ID).Str("kind", res.m.Kind).Str("key", res.m.Key).
				Int("attempt", res.m.Attempts).Msg("delivery cancelled during the attempt; the next run sends it again")
			continue
		}
		e := &ended{res: res, verdict: v, failure: f, ready: ready}
		switch v {
		case vHeld:
			if r.offline[res.m.Kind] == nil {
				r.offline[res.m.Kind] = &Offline{Kind: res.m.Kind, Err: res.err, Ready: ready}
				e.firstHeld = true
			}
		case vFatal:
			r.stopping = true
		}
		todo = append(todo, e)
	}
	return todo
}

// sleep waits until the earliest pending retry is due, a person revives a message, or ctx ends.
func (r *run) sleep(ctx context.Context) {
	d := r.wake.Sub(r.o.now())
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.o.changed():
		case <-ctx.Done():
		}
	}
	r.dirty = true
}

// count fills the report's end-of-run figures: held messages and messages blocked behind a dead one.
func (r *run) count(ctx context.Context) error {
	var kinds []string
	for k := range r.regs {
		kinds = append(kinds, k)
	}
	c, err := countFrom(ctx, r.o.db, r.o.start(), kinds)
	if err != nil {
		return err
	}
	r.rep.Held, r.rep.Blocked = c.Held, c.Blocked
	return nil
}
