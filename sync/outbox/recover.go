package outbox

import (
	"context"
	"fmt"

	"github.com/trialsync/trialsync/store"
)

// recover finds the run's messages left sending by an attempt no longer in flight (the process died,
// or an earlier run was cancelled mid-attempt). That attempt counts, since the request may have reached
// the remote: the message is sent again with the same idempotency key, or, when that was its last
// attempt, is dead with a message saying its outcome is unknown. Each is checked again inside the
// transaction, so an attempt that completed meanwhile is left alone.
func (r *run) recover(ctx context.Context) error {
	var found []uint64
	err := r.o.db.View(ctx, func(tx *store.Tx) error {
		return store.Outbox[Message](tx).Walk(r.o.start()-1, func(id uint64, m Message) error {
			if _, ok := r.regs[m.Kind]; ok && m.State == Sending && !r.o.isLive(m.Claim) {
				found = append(found, id)
			}
			return nil
		})
	})
	if err != nil || len(found) == 0 {
		return err
	}
	var recovered, dead []Message
	err = r.o.db.Update(ctx, func(tx *store.Tx) error {
		recovered, dead = recovered[:0], dead[:0]
		t := store.Outbox[Message](tx)
		now := r.o.now()
		for _, id := range found {
			m, ok, err := t.Get(id)
			if err != nil {
				return err
			}
			if !ok || m.State != Sending || r.o.isLive(m.Claim) {
				continue
			}
			max := r.regs[m.Kind].policy.MaxAttempts
			entry := store.Entry{Object: m.Object(), CorrelationID: m.Claim, Old: string(Sending)}
			m.Claim, m.Updated = "", now
			if m.Attempts >= max {
				m.State = Dead
				m.Error = fmt.Sprintf("trialsync stopped during attempt %d of %d, the last one allowed, so whether it arrived is unknown; "+
					"retrying is safe: the message is sent again with the same idempotency key", m.Attempts, max)
				entry.Action, entry.New, entry.Reason = store.ActionOutboxDead, string(Dead), m.Error
				dead = append(dead, m)
			} else {
				m.State, m.NextAttempt = Pending, now
				entry.Action, entry.New = store.ActionOutboxFail, string(Pending)
				entry.Reason = fmt.Sprintf("interrupted: trialsync stopped during attempt %d of %d; it counts, and the message is sent again with the same idempotency key",
					m.Attempts, max)
				recovered = append(recovered, m)
			}
			if err := t.Put(id, m); err != nil {
				return err
			}
			if _, err := tx.Append(entry); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("outbox: recovering interrupted attempts: %w", err)
	}
	r.rep.Recovered += len(recovered) + len(dead)
	r.rep.Dead += len(dead)
	for _, m := range append(recovered, dead...) {
		r.o.opts.Log.Warn().Uint64("message", m.ID).Str("kind", m.Kind).Str("key", m.Key).Int("attempt", m.Attempts).
			Str("state", string(m.State)).Msg("attempt interrupted by a stop; recovered")
	}
	return nil
}

// holdKind holds every pending message of e's kind (marked offline by receive), their attempts
// untouched, each with its audit entry, so that the run can end with them held instead of waiting for
// the remote; a later run, once the remote answers, sends them.
func (r *run) holdKind(ctx context.Context, e *ended) {
	kind := e.res.m.Kind
	why := "the remote cannot be reached; held until it answers: " + e.failure.Message
	var held int
	err := r.o.db.Update(ctx, func(tx *store.Tx) error {
		held = 0
		t := store.Outbox[Message](tx)
		var ids []uint64
		err := t.Walk(r.o.start()-1, func(id uint64, m Message) error {
			if m.Kind == kind && m.State == Pending && m.Claim == "" {
				ids = append(ids, id)
			}
			return nil
		})
		if err != nil {
			return err
		}
		now := r.o.now()
		for _, id := range ids {
			m, _, err := t.Get(id)
			if err != nil {
				return err
			}
			m.State, m.Updated = Held, now
			if err := t.Put(id, m); err != nil {
				return err
			}
			if _, err := tx.Append(store.Entry{Action: store.ActionOutboxHeld, Object: m.Object(), Old: string(Pending),
				New: string(Held), Reason: why}); err != nil {
				return err
			}
			held++
		}
		return nil
	})
	if err != nil {
		// The messages stay pending; the run skips the kind all the same, and the next one tries again.
		r.o.opts.Log.Error().Err(err).Str("kind", kind).Msg("holding the messages of an offline remote")
		return
	}
	r.o.opts.Log.Warn().Str("kind", kind).Int("held", held+1).Str("reason", e.failure.Message).
		Msg("remote offline: messages held until it answers")
}
