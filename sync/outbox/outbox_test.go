package outbox

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/remote"
)

func TestEnqueueCoalescesUnsentEdits(t *testing.T) {
	f := newFixture(t, 3)
	first := f.enqueue("a", 1)
	if first.Coalesced || first.ID == 0 {
		t.Fatalf("first enqueue = %+v, want a new message", first)
	}
	second := f.enqueue("a", 2)
	if !second.Coalesced || second.ID != first.ID {
		t.Fatalf("edit before the send = %+v, want it coalesced into %d", second, first.ID)
	}
	same := f.enqueue("a", 2)
	if !same.Unchanged {
		t.Errorf("an edit that changes nothing = %+v, want Unchanged", same)
	}
	other := f.enqueue("b", 7)
	if other.Coalesced || other.ID == first.ID {
		t.Errorf("another key = %+v, want its own message", other)
	}
	if c := f.counts(); c.Pending != 2 {
		t.Fatalf("counts %+v, want 2 pending", c)
	}
	m := f.get(first.ID)
	var p payload
	if err := m.Decode(&p); err != nil || p.V != 2 || m.Edits != 1 {
		t.Errorf("coalesced message carries %+v (edits %d, err %v), want v=2 after 1 edit", p, m.Edits, err)
	}
	if got := f.actions(first.ID); !equal(got, []string{"enqueue", "enqueue"}) {
		t.Errorf("audit of the coalesced message = %v, want an entry per change that wrote", got)
	}

	f.deliver()
	if f.get(first.ID).State != Done {
		t.Fatal("message not delivered")
	}
	after := f.enqueue("a", 3)
	if after.Coalesced || after.ID == first.ID {
		t.Errorf("an edit after delivery = %+v, want a new message", after)
	}
}

func TestEnqueueRefusesAForeignPrev(t *testing.T) {
	f := newFixture(t, 3)
	a := f.enqueue("a", 1)
	err := f.db.Update(t.Context(), func(tx *store.Tx) error {
		_, err := Enqueue(tx, Draft{Kind: kindT, Key: "b", Payload: payload{1}, Prev: a.ID})
		return err
	})
	if !errors.Is(err, ErrPrev) {
		t.Errorf("Prev of another key: %v, want ErrPrev", err)
	}
	err = f.db.Update(t.Context(), func(tx *store.Tx) error {
		_, err := Enqueue(tx, Draft{Kind: kindT, Payload: payload{1}})
		return err
	})
	if !errors.Is(err, ErrNoKind) {
		t.Errorf("no key: %v, want ErrNoKind", err)
	}
	if c := f.counts(); c.Pending != 1 {
		t.Errorf("counts %+v after refused drafts, want the one message", c)
	}
}

// A message enqueued in a transaction that fails does not exist: it is written with the caller's change.
func TestEnqueueIsPartOfTheCallersTransaction(t *testing.T) {
	f := newFixture(t, 3)
	boom := errors.New("the caller's change failed")
	err := f.db.Update(t.Context(), func(tx *store.Tx) error {
		if _, err := Enqueue(tx, Draft{Kind: kindT, Key: "a", Payload: payload{1}}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if c := f.counts(); c != (Counts{}) {
		t.Errorf("counts %+v after a rolled-back enqueue, want none", c)
	}
}

func TestDeliverSendsEveryMessageOnceInOrderPerKey(t *testing.T) {
	f := newFixture(t, 3)
	var ids []uint64
	for i := range 30 {
		key := string(rune('a' + i%5))
		q := f.enqueue(key, i)
		if !q.Coalesced {
			ids = append(ids, q.ID)
		}
	}
	rep := f.deliver()
	if rep.Sent != len(ids) || rep.Dead != 0 || rep.Failed != 0 {
		t.Fatalf("report %+v, want %d sent", rep, len(ids))
	}
	for _, id := range ids {
		m := f.get(id)
		if m.State != Done || m.Attempts != 1 || m.Reference == "" || m.Claim != "" {
			t.Errorf("message %d: %+v, want done after one attempt with a reference", id, m)
		}
		want := []string{"enqueue"}
		for range m.Edits {
			want = append(want, "enqueue") // each coalesced edit
		}
		if got := f.actions(id); !equal(got, append(want, "send", "done")) {
			t.Errorf("message %d audit %v", id, got)
		}
		if n := len(f.rem.callsOf(id)); n != 1 {
			t.Errorf("message %d sent %d times", id, n)
		}
	}
	if f.rem.overlap {
		t.Error("two requests of one key were in flight at once")
	}
	if f.rem.maxFlight > 4 {
		t.Errorf("%d requests in flight, above the bound of 4", f.rem.maxFlight)
	}
}

func TestEditsQueueBehindTheMessageInFlight(t *testing.T) {
	f := newFixture(t, 3)
	f.rem.gate, f.rem.entered = make(chan struct{}), make(chan Message, 4)
	first := f.enqueue("a", 1)
	done := make(chan Report)
	go func() { rep, _ := f.o.Deliver(t.Context(), DeliverOptions{}); done <- rep }()
	<-f.rem.entered // the first message is in flight
	second := f.enqueue("a", 2)
	third := f.enqueue("a", 3)
	if second.ID == first.ID || second.Coalesced {
		t.Fatalf("an edit during the send = %+v, want a new message behind it", second)
	}
	if !third.Coalesced || third.ID != second.ID {
		t.Fatalf("a second edit during the send = %+v, want it coalesced into %d", third, second.ID)
	}
	f.o.Notify()
	close(f.rem.gate)
	rep := <-done
	if rep.Sent != 2 {
		t.Fatalf("report %+v, want 2 sent", rep)
	}
	if got := f.rem.applied["a"]; !equal(got, []uint64{first.ID, second.ID}) || f.rem.values["a"] != 3 {
		t.Errorf("the remote applied %v and holds %d, want %d then %d, ending at 3", got, f.rem.values["a"], first.ID, second.ID)
	}
}

func TestTransientFailuresDieAfterMaxAttemptsAndRetryRevives(t *testing.T) {
	f := newFixture(t, 3, transient, transient, transient)
	q := f.enqueue("a", 1)
	rep := f.deliver()
	if rep.Dead != 1 || rep.Failed != 2 || rep.Sent != 0 {
		t.Fatalf("report %+v, want 2 failed attempts then dead", rep)
	}
	m := f.get(q.ID)
	if m.State != Dead || m.Attempts != 3 || m.Status != 503 || !strings.Contains(m.Error, "Service Unavailable") {
		t.Fatalf("after three 503s: %+v, want dead after 3 attempts keeping the 503", m)
	}
	if got := f.actions(q.ID); !equal(got, []string{"enqueue", "send", "fail", "send", "fail", "send", "dead"}) {
		t.Errorf("audit %v", got)
	}
	calls := f.rem.callsOf(q.ID)
	if len(calls) != 3 || calls[0].idemKey != calls[2].idemKey || calls[0].claim == calls[1].claim {
		t.Errorf("calls %+v: want 3, one idempotency key, a new claim each", calls)
	}
	// The backoff between attempts is recorded, doubling from RetryInterval.
	for _, e := range f.entries(q.ID) {
		if e.Action == store.ActionOutboxFail && !strings.Contains(e.Reason, "next in") {
			t.Errorf("failed attempt entry %q does not say when the next one is", e.Reason)
		}
	}

	if _, err := f.o.Retry(t.Context(), "crc.jones", q.ID); err != nil {
		t.Fatal(err)
	}
	if m := f.get(q.ID); m.State != Pending || m.Attempts != 0 || m.Error != "" {
		t.Fatalf("after retry: %+v, want pending with a fresh budget", m)
	}
	if rep := f.deliver(); rep.Sent != 1 {
		t.Fatalf("report after retry %+v", rep)
	}
	if m := f.get(q.ID); m.State != Done {
		t.Fatalf("after retry and run: %+v", m)
	}
	es := f.entries(q.ID)
	retry := es[len(es)-3]
	if retry.Action != store.ActionOutboxRetry || retry.Actor != "crc.jones" || !strings.Contains(retry.Old, "503") {
		t.Errorf("retry entry %+v, want by the person, keeping the failure it replaced", retry)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	f := newFixture(t, 3)
	q := f.enqueue("a", 1)
	var attempts int
	f.o.Register(kindT, SenderFunc(func(ctx context.Context, m Message) (Outcome, error) {
		attempts++
		if attempts == 1 {
			return Outcome{}, &Failure{Status: 429, Message: "Too Many Requests", RetryAfter: 1500 * time.Millisecond}
		}
		return Outcome{}, context.Canceled // ends the test run after the first retry was scheduled
	}), Policy{MaxAttempts: 3})
	ctx, cancel := context.WithCancel(t.Context())
	go func() { // cancel the run once the first attempt's failure is recorded
		for {
			m, err := Get(ctx, f.db, q.ID)
			if err != nil || m.Attempts == 1 && m.State == Pending {
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	_, _ = f.o.Deliver(ctx, DeliverOptions{})
	m := f.get(q.ID)
	if m.State != Pending || m.NextAttempt.Sub(m.Updated) != 1500*time.Millisecond {
		t.Errorf("after a 429 with Retry-After 1.5 s: state %s, next attempt %s after the failure; want exactly 1.5 s",
			m.State, m.NextAttempt.Sub(m.Updated))
	}
}

func TestRefusedMessageIsDeadAtOnceAndBlocksOnlyItsKey(t *testing.T) {
	f := newFixture(t, 3)
	f.rem.keyScript["a"] = []step{refused}
	a1 := f.enqueue("a", 1)
	a2 := f.enqueue("a", 9) // coalesced into a1: unsent
	if a2.ID != a1.ID {
		t.Fatal("expected coalescing")
	}
	b := f.enqueue("b", 2)
	rep := f.deliver()
	if rep.Dead != 1 || rep.Sent != 1 {
		t.Fatalf("report %+v, want the refused message dead and the other key sent", rep)
	}
	m := f.get(a1.ID)
	if m.State != Dead || m.Attempts != 1 || !m.Urgent || m.ReasonCode != "RWS00033" || m.Origin == "" || m.Advice == "" {
		t.Fatalf("refused message %+v, want dead after one attempt, urgent, with its reason code, origin and advice", m)
	}
	if f.get(b.ID).State != Done {
		t.Error("the other key did not flow")
	}

	// A later edit of the dead key queues behind it and waits.
	later := f.enqueue("a", 3)
	if later.Coalesced {
		t.Fatal("an edit coalesced into a dead message")
	}
	rep = f.deliver()
	if rep.Sent != 0 || rep.Blocked != 1 {
		t.Fatalf("report %+v, want nothing sent and one message blocked", rep)
	}
	ls, err := List(t.Context(), f.db, Filter{State: Pending})
	if err != nil || len(ls) != 1 || ls[0].BlockedBy != a1.ID {
		t.Fatalf("pending list %+v (%v), want the later edit blocked by %d", ls, err, a1.ID)
	}
	if c := f.counts(); c.Dead != 1 || c.Urgent != 1 || c.Blocked != 1 || c.Done != 1 {
		t.Errorf("counts %+v", c)
	}

	// Discarding the dead one lets the later one go; the discarded one cannot be retried.
	if _, err := f.o.Discard(t.Context(), "crc.jones", a1.ID, "  "); !errors.Is(err, ErrNoReason) {
		t.Errorf("discard without a reason: %v", err)
	}
	if _, err := f.o.Discard(t.Context(), "crc.jones", a1.ID, "entered in Rave by hand"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.o.Retry(t.Context(), "crc.jones", a1.ID); !errors.Is(err, ErrNotDead) {
		t.Errorf("retry of a discarded message: %v, want ErrNotDead", err)
	}
	if rep := f.deliver(); rep.Sent != 1 {
		t.Fatalf("after discard: %+v", rep)
	}
	if f.rem.values["a"] != 3 {
		t.Errorf("the remote holds %d for a, want 3", f.rem.values["a"])
	}
	if _, err := f.o.Discard(t.Context(), "crc.jones", later.ID, "too late"); !errors.Is(err, ErrFinished) {
		t.Errorf("discard of a delivered message: %v, want ErrFinished", err)
	}
	es := f.entries(a1.ID)
	if last := es[len(es)-1]; last.Action != store.ActionOutboxDiscard || last.Reason != "entered in Rave by hand" || last.Actor != "crc.jones" {
		t.Errorf("discard entry %+v", last)
	}
}

func TestOfflineSpendsNoAttemptAndResumes(t *testing.T) {
	f := newFixture(t, 3, down, down, down, down, down, down)
	var ids []uint64
	for i := range 6 {
		ids = append(ids, f.enqueue(string(rune('a'+i)), i).ID)
	}
	rep := f.deliver()
	if rep.Held != 6 || rep.Sent != 0 || len(rep.Offline) != 1 || rep.Offline[0].Kind != kindT {
		t.Fatalf("report %+v, want all 6 held and the kind offline", rep)
	}
	for _, id := range ids {
		if m := f.get(id); m.State != Held || m.Attempts != 0 {
			t.Errorf("message %d: %s after %d attempts, want held with none spent", id, m.State, m.Attempts)
		}
	}
	// A run while it is still down tries one message only (a probe), and holds them all again.
	before := len(f.rem.calls)
	f.rem.script = []step{down}
	rep = f.deliver()
	if rep.Held != 6 {
		t.Fatalf("a run while still down: %+v, want all held", rep)
	}
	if n := len(f.rem.calls) - before; n != 1 {
		t.Errorf("%d requests while the remote was known down, want 1 probe", n)
	}
	// The remote answers again: the probe succeeds, the rest follow.
	close(f.rem.ready)
	rep = f.deliver()
	if rep.Sent != 6 || rep.Held != 0 {
		t.Fatalf("report after the remote answered %+v, want all 6 sent", rep)
	}
	for _, id := range ids {
		if m := f.get(id); m.State != Done || m.Attempts != 1 {
			t.Errorf("message %d: %s after %d attempts, want done after exactly one", id, m.State, m.Attempts)
		}
	}
}

func TestFatalErrorStopsTheRunAndGivesTheAttemptBack(t *testing.T) {
	f := newFixture(t, 3, fatalStep)
	q := f.enqueue("a", 1)
	_, err := f.o.Deliver(t.Context(), DeliverOptions{})
	if !errors.As(err, new(fatalErr)) {
		t.Fatalf("Deliver: %v, want the fatal error", err)
	}
	if m := f.get(q.ID); m.State != Pending || m.Attempts != 0 {
		t.Fatalf("after a rejected credential: %+v, want pending with no attempt spent", m)
	}
	if rep := f.deliver(); rep.Sent != 1 {
		t.Fatalf("after the credential was fixed: %+v", rep)
	}
}

// TestOpenBreakerSpendsNoAttempt: a request the client's circuit breaker kept back (a remote.Error
// matching remote.ErrCircuitOpen, passed through as the sender got it) gives its attempt back and waits
// the breaker's Retry-After, with an outbox.fail entry saying it was not sent.
func TestOpenBreakerSpendsNoAttempt(t *testing.T) {
	f := newFixture(t, 1)
	q := f.enqueue("a", 1)
	var sends int
	f.o.Register(kindT, SenderFunc(func(context.Context, Message) (Outcome, error) {
		sends++
		if sends == 1 {
			return Outcome{}, &remote.Error{Remote: "rave", Op: "POST webservice.aspx?PostODMClinicalData",
				Message: "paused after repeated failures", Err: remote.ErrCircuitOpen, Retryable: true, RetryAfter: 7 * time.Second}
		}
		return Outcome{}, context.Canceled // ends the test run after the attempt was given back
	}), Policy{MaxAttempts: 1})
	ctx, cancel := context.WithCancel(t.Context())
	go func() { // cancel the run once the first attempt's end is recorded
		for {
			m, err := Get(ctx, f.db, q.ID)
			if err != nil || m.Error != "" {
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	_, _ = f.o.Deliver(ctx, DeliverOptions{})
	m := f.get(q.ID)
	if m.State != Pending || m.Attempts != 0 || m.NextAttempt.Sub(m.Updated) != 7*time.Second ||
		!strings.Contains(m.Error, "paused after repeated failures") {
		t.Fatalf("after an open breaker with a single attempt allowed: %s, %d attempts, next attempt %s after, error %q; "+
			"want pending, none spent, 7 s", m.State, m.Attempts, m.NextAttempt.Sub(m.Updated), m.Error)
	}
	var fail *store.Entry
	for _, e := range f.entries(q.ID) {
		if e.Action == store.ActionOutboxFail {
			fail = &e
		}
	}
	if fail == nil || !strings.HasPrefix(fail.Reason, "not sent, the attempt is given back: ") {
		t.Errorf("audit entry %+v, want an outbox.fail saying the request was not sent", fail)
	}
}

// An attempt in flight when its run ends (the process died, or the run was cancelled) counts; the next
// run sends it again with the same idempotency key, and only the new claim can complete it.
func TestInterruptedAttemptIsRecoveredWithTheSameIdempotencyKey(t *testing.T) {
	for _, tc := range []struct {
		name      string
		max       int
		wantState State
	}{
		{"attempts left", 3, Done},
		{"last attempt", 1, Dead},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.max)
			f.rem.gate, f.rem.entered = make(chan struct{}), make(chan Message, 1)
			q := f.enqueue("a", 1)
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error)
			go func() { _, err := f.o.Deliver(ctx, DeliverOptions{}); done <- err }()
			inflight := <-f.rem.entered
			cancel() // the process goes away with the request in flight
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled run: %v", err)
			}
			if m := f.get(q.ID); m.State != Sending || m.Attempts != 1 || m.Claim != inflight.Claim {
				t.Fatalf("after the stop: %+v, want still sending, the attempt counted", m)
			}

			// A new process: a fresh outbox over the same store.
			f.rem.gate = nil
			f.o = f.newOutbox()
			f.o.Register(kindT, f.rem, Policy{MaxAttempts: tc.max})
			rep := f.deliver()
			if rep.Recovered != 1 {
				t.Errorf("report %+v, want 1 recovered", rep)
			}
			m := f.get(q.ID)
			if m.State != tc.wantState {
				t.Fatalf("recovered message: %+v, want %s", m, tc.wantState)
			}
			calls := f.rem.callsOf(q.ID)
			switch tc.wantState {
			case Done:
				if m.Attempts != 2 || len(calls) != 1 || calls[0].idemKey != inflight.IdempotencyKey || calls[0].claim == inflight.Claim {
					t.Errorf("resend: attempts %d, calls %+v; want attempt 2 with the same idempotency key and a new claim", m.Attempts, calls)
				}
			case Dead:
				if len(calls) != 0 || !strings.Contains(m.Error, "unknown") {
					t.Errorf("last attempt interrupted: calls %+v, error %q; want no resend and the outcome called unknown", calls, m.Error)
				}
			}
		})
	}
}

// Only the attempt holding the claim completes a message: an answer arriving after a person discarded
// it is recorded and not applied.
func TestStaleCompletionIsNotApplied(t *testing.T) {
	f := newFixture(t, 3)
	f.rem.gate, f.rem.entered = make(chan struct{}), make(chan Message, 1)
	q := f.enqueue("a", 1)
	done := make(chan Report)
	go func() { rep, _ := f.o.Deliver(t.Context(), DeliverOptions{}); done <- rep }()
	<-f.rem.entered
	if _, err := f.o.Discard(t.Context(), "crc.jones", q.ID, "sent by hand"); err != nil {
		t.Fatal(err)
	}
	close(f.rem.gate)
	rep := <-done
	if rep.Stale != 1 || rep.Sent != 0 {
		t.Fatalf("report %+v, want the late outcome counted stale, nothing sent", rep)
	}
	m := f.get(q.ID)
	if m.State != Dead || !m.Discarded || m.Reference != "" {
		t.Fatalf("message %+v, want it left discarded", m)
	}
	if got := f.actions(q.ID); !equal(got, []string{"enqueue", "send", "discard", "stale"}) {
		t.Errorf("audit %v", got)
	}
}

// The engine's Commit runs in the transaction that marks the message done; when it fails, the message
// is not marked done either, and the next run sends it again.
func TestCommitFailureLeavesTheMessageForTheNextRun(t *testing.T) {
	f := newFixture(t, 3)
	q := f.enqueue("a", 1)
	other := f.enqueue("b", 1)
	fail := true
	f.o.Register(kindT, SenderFunc(func(ctx context.Context, m Message) (Outcome, error) {
		out, err := f.rem.Send(ctx, m)
		out.Commit = func(tx *store.Tx) error {
			if fail && m.Key == "a" {
				return errors.New("engine record unwritable")
			}
			return nil
		}
		return out, err
	}), Policy{MaxAttempts: 3})
	if _, err := f.o.Deliver(t.Context(), DeliverOptions{}); err == nil {
		t.Fatal("Deliver hid the failed commit")
	}
	if m := f.get(q.ID); m.State != Sending {
		t.Fatalf("after a failed commit: %s, want sending (recovered by the next run)", m.State)
	}
	if m := f.get(other.ID); m.State != Done {
		t.Errorf("the other key's message: %s, want done despite its neighbour's failure", m.State)
	}
	fail = false
	f.o = f.newOutbox()
	f.o.Register(kindT, f.rem, Policy{MaxAttempts: 3})
	if rep := f.deliver(); rep.Sent != 1 || rep.Recovered != 1 {
		t.Fatalf("next run %+v", rep)
	}
}

func TestDeliverRefusesOverlappingRuns(t *testing.T) {
	f := newFixture(t, 3)
	f.rem.gate, f.rem.entered = make(chan struct{}), make(chan Message, 1)
	f.enqueue("a", 1)
	done := make(chan struct{})
	go func() { f.o.Deliver(t.Context(), DeliverOptions{}); close(done) }()
	<-f.rem.entered
	if _, err := f.o.Deliver(t.Context(), DeliverOptions{Kinds: []string{kindT}}); !errors.Is(err, ErrBusy) {
		t.Errorf("second run: %v, want ErrBusy", err)
	}
	if _, err := f.o.Deliver(t.Context(), DeliverOptions{Kinds: []string{"nobody"}}); !errors.Is(err, ErrNoSender) {
		t.Errorf("unregistered kind: %v, want ErrNoSender", err)
	}
	close(f.rem.gate)
	<-done
}

// A sender's panic is the message's failed attempt, not the agent's crash.
func TestSenderPanicIsAFailedAttempt(t *testing.T) {
	f := newFixture(t, 1)
	q := f.enqueue("a", 1)
	f.o.Register(kindT, SenderFunc(func(context.Context, Message) (Outcome, error) { panic("nil map") }), Policy{MaxAttempts: 1})
	rep := f.deliver()
	if m := f.get(q.ID); rep.Dead != 1 || m.State != Dead || !strings.Contains(m.Error, "nil map") {
		t.Fatalf("report %+v, message %+v", rep, m)
	}
}
