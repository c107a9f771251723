package outbox

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/trialsync/trialsync/store"
)

// TestOutboxProperties drives the outbox with random operations — enqueue (with coalescing), delivery
// runs against a remote that succeeds, fails, refuses, is unreachable, rejects the credential, or dies
// mid-attempt before or after the remote applied the request (followed by a fresh outbox, as after a
// restart), a person's retry and discard — and checks after each step that:
//
//   - messages are conserved: every message ever created is in exactly one state;
//   - no message has more attempts than its policy allows;
//   - no message is left sending once a run ends, except those a crash interrupted;
//   - the remote applied each key's messages in queue order, and every done message was applied;
//
// and at the end, once the remote behaves and a person retries every dead message, that every message
// is done or discarded (none lost, none stuck) and each key's remote value is its last message's.
// Run in CI with -rapid.nofailfile (the default here).
func TestOutboxProperties(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		m := newMachine(t, rt)
		rt.Repeat(map[string]func(*rapid.T){
			"enqueue": m.enqueue,
			"deliver": m.deliver,
			"retry":   m.retry,
			"discard": m.discard,
			"":        m.check,
		})
		m.heal(rt)
	})
}

const modelMax = 3

type machine struct {
	t       *testing.T
	f       *fixture
	created int // messages created (enqueues that were not coalesced)
	crashed bool
}

func newMachine(t *testing.T, rt *rapid.T) *machine {
	// A store per check: storetest.Open ties it to t, which outlives every rapid run.
	f := newFixture(t, modelMax)
	m := &machine{t: t, f: f}
	m.restart()
	return m
}

// restart builds a fresh outbox over the same store, as a new process would after a kill. One request
// at a time, one claimed ahead at most, so that a run is deterministic for rapid to shrink.
func (m *machine) restart() {
	o := m.f.newOutbox()
	o.opts.Concurrency, o.window = 1, 1
	o.Register(kindT, m.f.rem, Policy{MaxAttempts: modelMax})
	m.f.o = o
}

var modelKeys = []string{"k1", "k2", "k3"}

func (m *machine) enqueue(rt *rapid.T) {
	key := rapid.SampledFrom(modelKeys).Draw(rt, "key")
	v := rapid.IntRange(0, 5).Draw(rt, "value")
	var prevState State
	if prev := m.f.prev[key]; prev != 0 {
		prevState = m.f.get(prev).State
	}
	var q Enqueued
	err := m.f.db.Update(context.Background(), func(tx *store.Tx) error {
		var err error
		q, err = Enqueue(tx, Draft{Kind: kindT, Key: key, Payload: payload{V: v}, Prev: m.f.prev[key]})
		return err
	})
	if err != nil {
		rt.Fatalf("enqueue: %v", err)
	}
	wantCoalesce := prevState == Pending || prevState == Held
	if q.Coalesced != wantCoalesce {
		rt.Fatalf("enqueue %s after a %q message: coalesced %v, want %v", key, prevState, q.Coalesced, wantCoalesce)
	}
	if !q.Coalesced {
		m.created++
	}
	m.f.prev[key] = q.ID
}

var allSteps = []step{ok, transient, refused, down, fatalStep, crashSent, crashUnsent}

func (m *machine) deliver(rt *rapid.T) {
	script := rapid.SliceOfN(rapid.SampledFrom(allSteps), 0, 6).Draw(rt, "script")
	m.f.rem.mu.Lock()
	m.f.rem.script = script
	m.f.rem.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	crashed := false
	m.f.rem.crash = func() { crashed = true; cancel() }
	_, err := m.f.o.Deliver(ctx, DeliverOptions{})
	switch {
	case crashed:
		if !errors.Is(err, context.Canceled) {
			rt.Fatalf("a crashed run returned %v", err)
		}
		m.restart()
	case err != nil && !errors.As(err, new(fatalErr)):
		rt.Fatalf("Deliver: %v", err)
	}
	m.crashed = crashed
	if err == nil {
		// A run that ended by itself leaves nothing due: every message is done, dead, held, blocked,
		// or waiting for a retry's time.
		c := m.counts(rt)
		if c.Sending != 0 {
			rt.Fatalf("a run ended with %d messages sending", c.Sending)
		}
	}
}

func (m *machine) retry(rt *rapid.T) {
	ls := m.list(rt, func(l Listed) bool { return l.State == Dead && !l.Discarded })
	if len(ls) == 0 {
		rt.Skip("no dead message")
	}
	l := rapid.SampledFrom(ls).Draw(rt, "dead")
	if _, err := m.f.o.Retry(context.Background(), "crc.jones", l.ID); err != nil {
		rt.Fatalf("retry %d: %v", l.ID, err)
	}
}

func (m *machine) discard(rt *rapid.T) {
	ls := m.list(rt, func(l Listed) bool { return !l.finished() })
	if len(ls) == 0 {
		rt.Skip("nothing to discard")
	}
	l := rapid.SampledFrom(ls).Draw(rt, "message")
	if _, err := m.f.o.Discard(context.Background(), "crc.jones", l.ID, "model"); err != nil {
		rt.Fatalf("discard %d: %v", l.ID, err)
	}
}

func (m *machine) check(rt *rapid.T) {
	ls := m.list(rt, nil)
	if len(ls) != m.created {
		rt.Fatalf("%d messages stored, %d created", len(ls), m.created)
	}
	c := m.counts(rt)
	if sum := c.Pending + c.Sending + c.Held + c.Done + c.Dead + c.Discarded; sum != m.created {
		rt.Fatalf("counts %+v sum to %d, %d created", c, sum, m.created)
	}
	if c.Sending > 0 && !m.crashed {
		rt.Fatalf("%d messages sending between runs without a crash", c.Sending)
	}
	m.f.rem.mu.Lock()
	defer m.f.rem.mu.Unlock()
	for key, ids := range m.f.rem.applied {
		for i := 1; i < len(ids); i++ {
			if ids[i] < ids[i-1] {
				rt.Fatalf("key %s applied out of order: %v", key, ids)
			}
		}
	}
	for _, l := range ls {
		if l.Attempts < 0 || l.Attempts > modelMax {
			rt.Fatalf("message %d has %d attempts (max %d)", l.ID, l.Attempts, modelMax)
		}
		if l.State == Done && !contains(m.f.rem.applied[l.Key], l.ID) {
			rt.Fatalf("message %d is done but the remote never applied it", l.ID)
		}
	}
}

// heal lets the remote behave, retries every dead message and delivers until nothing is left: every
// message must then be done or discarded.
func (m *machine) heal(rt *rapid.T) {
	m.f.rem.mu.Lock()
	m.f.rem.script = nil
	m.f.rem.mu.Unlock()
	for round := 0; ; round++ {
		if round > 10 {
			rt.Fatalf("not settled after 10 runs: %+v", m.counts(rt))
		}
		for _, l := range m.list(rt, func(l Listed) bool { return l.State == Dead && !l.Discarded }) {
			if _, err := m.f.o.Retry(context.Background(), "crc.jones", l.ID); err != nil {
				rt.Fatal(err)
			}
		}
		if _, err := m.f.o.Deliver(context.Background(), DeliverOptions{}); err != nil {
			rt.Fatalf("healing run: %v", err)
		}
		m.crashed = false
		m.check(rt)
		c := m.counts(rt)
		if c.Pending+c.Sending+c.Held+c.Dead == 0 {
			break
		}
	}
	last := map[string]Listed{}
	for _, l := range m.list(rt, nil) {
		last[l.Key] = l
	}
	for key, l := range last {
		var p payload
		if err := l.Decode(&p); err != nil {
			rt.Fatal(err)
		}
		if l.State == Done && m.f.rem.values[key] != p.V {
			rt.Fatalf("key %s: the remote holds %d, its last message (%d, done) carries %d", key, m.f.rem.values[key], l.ID, p.V)
		}
	}
}

func (m *machine) list(rt *rapid.T, keep func(Listed) bool) []Listed {
	ls, err := List(context.Background(), m.f.db, Filter{})
	if err != nil {
		rt.Fatal(err)
	}
	var out []Listed
	for _, l := range ls {
		if keep == nil || keep(l) {
			out = append(out, l)
		}
	}
	return out
}

func (m *machine) counts(rt *rapid.T) Counts {
	c, err := Count(context.Background(), m.f.db)
	if err != nil {
		rt.Fatal(err)
	}
	return c
}

func contains(ids []uint64, id uint64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func (s step) String() string {
	return [...]string{"ok", "transient", "refused", "down", "fatal", "crash-sent", "crash-unsent"}[s]
}

var _ fmt.Stringer = step(0)
