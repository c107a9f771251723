package outbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/trialsync/trialsync/store"
)

// Errors of the operations a person asks for.
var (
	ErrNotFound = errors.New("no such outbound message")
	ErrNotDead  = errors.New("only a dead message can be retried")
	ErrFinished = errors.New("the message has already ended")
	ErrNoReason = errors.New("a reason is required")
)

// Filter selects messages to list; the zero Filter selects every message.
type Filter struct {
	Kinds []string // only these kinds; empty for all
	State State    // only this state; "" for all
}

// Listed is a message as a list shows it, with the dead message it waits behind, if any.
type Listed struct {
	Message
	// BlockedBy is the dead message of the same key this one waits behind (0 when none): it is not sent
	// until a person retries or discards that one.
	BlockedBy uint64
}

// List returns the messages f selects, oldest first. It reads db only (a read-only store is fine).
func List(ctx context.Context, db *store.DB, f Filter) ([]Listed, error) {
	var out []Listed
	blocker := map[lane]uint64{}
	err := db.View(ctx, func(tx *store.Tx) error {
		return store.Outbox[Message](tx).Walk(0, func(id uint64, m Message) error {
			b := blocker[m.lane()]
			if _, ok := blocker[m.lane()]; !ok && m.State == Dead && !m.Discarded {
				blocker[m.lane()] = id
			}
			if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, m.Kind) || f.State != "" && m.State != f.State {
				return nil
			}
			l := Listed{Message: m}
			if !m.finished() && b != 0 {
				l.BlockedBy = b
			}
			out = append(out, l)
			return nil
		})
	})
	return out, err
}

// Get returns message id.
func Get(ctx context.Context, db *store.DB, id uint64) (Message, error) {
	var m Message
	err := db.View(ctx, func(tx *store.Tx) error {
		var err error
		m, err = lookup(store.Outbox[Message](tx), id)
		return err
	})
	return m, err
}

// lookup reads message id from t; a message that does not exist is ErrNotFound.
func lookup(t store.SeqTable[Message], id uint64) (Message, error) {
	m, ok, err := t.Get(id)
	if err == nil && !ok {
		err = fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	return m, err
}

// Counts are a queue's messages by state, as the snapshot and the screens show them.
type Counts struct {
	Pending, Sending, Held, Done int
	Dead                         int // dead and not discarded: each needs a person
	Discarded                    int // dead because a person discarded them
	Urgent                       int // dead messages flagged urgent (a wrong drug for the patient's arm)
	Blocked                      int // pending or held behind a dead message of their key
}

// Count counts the messages of the given kinds (all kinds when none is given).
func Count(ctx context.Context, db *store.DB, kinds ...string) (Counts, error) {
	return countFrom(ctx, db, 1, kinds)
}

// countFrom counts from message start on; every message before it is finished (done or discarded)
// and is not counted, which only matters for Done and Discarded.
func countFrom(ctx context.Context, db *store.DB, start uint64, kinds []string) (Counts, error) {
	var c Counts
	dead := map[lane]bool{}
	err := db.View(ctx, func(tx *store.Tx) error {
		return store.Outbox[Message](tx).Walk(start-1, func(_ uint64, m Message) error {
			if len(kinds) > 0 && !slices.Contains(kinds, m.Kind) {
				return nil
			}
			switch m.State {
			case Pending:
				c.Pending++
			case Sending:
				c.Sending++
			case Held:
				c.Held++
			case Done:
				c.Done++
			case Dead:
				if m.Discarded {
					c.Discarded++
					return nil
				}
				c.Dead++
				if m.Urgent {
					c.Urgent++
				}
				dead[m.lane()] = true
				return nil
			}
			if (m.State == Pending || m.State == Held) && dead[m.lane()] {
				c.Blocked++
			}
			return nil
		})
	})
	return c, err
}

// Retry re-queues dead message id for a new set of attempts, on behalf of actor (the person's OS user),
// in one transaction with its outbox.retry entry (which keeps the failure it replaces). A discarded
// message cannot be retried.
func (o *Outbox) Retry(ctx context.Context, actor string, id uint64) (Message, error) {
	var m Message
	err := o.db.UpdateAs(ctx, actor, func(tx *store.Tx) error {
		t := store.Outbox[Message](tx)
		var err error
		if m, err = lookup(t, id); err != nil {
			return err
		}
		if m.State != Dead || m.Discarded {
			return fmt.Errorf("message %d is %s: %w", id, stateWords(m), ErrNotDead)
		}
		old := "dead after " + plural(m.Attempts, "attempt") + ": " + m.Error
		now := o.now()
		m.State, m.Attempts, m.NextAttempt, m.Updated = Pending, 0, now, now
		m.Status, m.ReasonCode, m.Origin, m.Error, m.Advice, m.Urgent, m.Reference, m.Note = 0, "", "", "", "", false, "", ""
		if err := t.Put(id, m); err != nil {
			return err
		}
		_, err = tx.Append(store.Entry{Action: store.ActionOutboxRetry, Object: m.Object(), Old: old, New: string(Pending),
			Reason: "re-queued by " + tx.Actor()})
		return err
	})
	if err == nil {
		o.Notify()
	}
	return m, err
}

// Discard ends message id without sending it, on behalf of actor, with the person's reason, in one
// transaction with its outbox.discard entry. The message becomes dead and discarded: it no longer
// blocks its key. An attempt of it still in flight can no longer complete it (its outcome is recorded as
// stale). A delivered message cannot be discarded.
func (o *Outbox) Discard(ctx context.Context, actor string, id uint64, reason string) (Message, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Message{}, fmt.Errorf("discarding message %d: %w", id, ErrNoReason)
	}
	var m Message
	err := o.db.UpdateAs(ctx, actor, func(tx *store.Tx) error {
		t := store.Outbox[Message](tx)
		var err error
		if m, err = lookup(t, id); err != nil {
			return err
		}
		if m.finished() {
			return fmt.Errorf("message %d is %s: %w", id, stateWords(m), ErrFinished)
		}
		old := string(m.State)
		m.State, m.Discarded, m.DiscardReason, m.DiscardedBy, m.Claim, m.Updated = Dead, true, reason, tx.Actor(), "", o.now()
		if err := t.Put(id, m); err != nil {
			return err
		}
		_, err = tx.Append(store.Entry{Action: store.ActionOutboxDiscard, Object: m.Object(), Old: old,
			New: "dead (discarded)", Reason: reason})
		return err
	})
	if err == nil {
		o.Notify()
	}
	return m, err
}

// stateWords says what state a message is in, for errors.
func stateWords(m Message) string {
	switch {
	case m.Discarded:
		return "discarded"
	case m.State == Done:
		return "delivered (done)"
	}
	return string(m.State)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
