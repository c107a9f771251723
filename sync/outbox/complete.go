package outbox

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/trialsync/trialsync/store"
)

// ended is one attempt's end as read from its result.
type ended struct {
	res     result
	verdict verdict
	failure *Failure
	ready   <-chan struct{}
	applied string // what the completion did, for the log: done, held, dead, retry, stale, …
	// firstHeld: the first of its kind to find the remote unreachable in this run; the kind's pending
	// messages are held after it is recorded.
	firstHeld bool
}

// complete records the end of each attempt of todo and claims next, in one transaction when it can
// (a group commit: the slower the store, the more each commit carries), and returns the messages it
// claimed. An attempt cancelled with its run was left out by receive: the next run recovers it. When
// the transaction fails, each attempt's end is recorded in a transaction of its own, so that one
// engine's failing Commit does not hold back the others, and the claims follow in their own.
func (r *run) complete(ctx context.Context, todo []*ended, next []Message) []Message {
	if len(todo) == 0 && len(next) == 0 {
		return nil
	}
	wctx := context.WithoutCancel(ctx) // an answer received is recorded even as the run is cancelled
	var claimed []Message
	err := r.o.db.Update(wctx, func(tx *store.Tx) error {
		if err := r.applyAll(tx, todo); err != nil {
			return err
		}
		var err error
		claimed, err = r.claimTx(tx, next)
		return err
	})
	if err != nil {
		claimed = nil
		err = nil
		for _, e := range todo {
			if one := r.o.db.Update(wctx, func(tx *store.Tx) error { return r.applyAll(tx, []*ended{e}) }); one != nil {
				e.applied = ""
				err = one
				r.o.opts.Log.Error().Err(one).Uint64("message", e.res.m.ID).Msg("recording the end of an attempt failed; the next run sends it again")
			}
		}
		if err != nil {
			r.fatal = fmt.Errorf("outbox: recording the end of an attempt: %w", err)
		} else if len(next) > 0 {
			if cerr := r.o.db.Update(ctx, func(tx *store.Tx) error {
				var err error
				claimed, err = r.claimTx(tx, next)
				return err
			}); cerr != nil {
				claimed = nil
				r.fatal = fmt.Errorf("outbox: claiming messages: %w", cerr)
			}
		}
	}
	for _, m := range claimed {
		r.o.setLive(m.Claim, true)
	}
	for _, e := range todo {
		r.o.setLive(e.res.m.Claim, false)
		if e.applied == "" {
			continue // not recorded: left sending, recovered by the next run
		}
		r.tally(e)
		r.log(e)
		if e.verdict != vHeld {
			delete(r.probing, e.res.m.Kind)
		}
		if e.verdict == vFatal && r.fatal == nil {
			r.fatal = e.failure.Err
		}
	}
	for _, e := range todo {
		if e.firstHeld {
			r.holdKind(wctx, e)
		}
	}
	if len(todo) > 0 {
		r.dirty = true // what the scan in next saw was from before these ends were recorded
	}
	return claimed
}

// applyAll applies every attempt's end within tx; it resets what a failed transaction left.
func (r *run) applyAll(tx *store.Tx, todo []*ended) error {
	for _, e := range todo {
		e.applied = ""
	}
	for _, e := range todo {
		if err := r.apply(tx, e); err != nil {
			return err
		}
	}
	return nil
}

// apply records one attempt's end, if its claim still holds the message.
func (r *run) apply(tx *store.Tx, e *ended) error {
	t := store.Outbox[Message](tx)
	claimed := e.res.m
	m, ok, err := t.Get(claimed.ID)
	if err != nil {
		return err
	}
	now := r.o.now()
	entry := store.Entry{Object: claimed.Object(), CorrelationID: claimed.Claim, Old: string(Sending)}
	if !ok || m.State != Sending || m.Claim != claimed.Claim {
		// The message moved on without this attempt (a person discarded it): record what happened, change
		// nothing (River's rescuer fix: only touch a job still in the state it read).
		e.applied = "stale"
		entry.Action, entry.Old, entry.New = store.ActionOutboxStale, "", outcomeText(e)
		entry.PayloadHash = e.requestHash()
		entry.Reason = fmt.Sprintf("attempt %d ended after the message was %s; its outcome was not applied", claimed.Attempts, describe(m, ok))
		_, err := tx.Append(entry)
		return err
	}
	max := r.regs[m.Kind].policy.MaxAttempts
	m.Claim, m.Updated = "", now
	f := e.failure
	switch e.verdict {
	case vDone:
		out := e.res.out
		m.State, m.Status, m.Reference, m.RequestHash, m.Note = Done, out.Status, out.Reference, out.RequestHash, out.Note
		m.ReasonCode, m.Origin, m.Error, m.Advice, m.Urgent = "", "", "", "", false
		if out.Commit != nil {
			if err := out.Commit(tx); err != nil {
				return fmt.Errorf("message %d: recording its delivery: %w", m.ID, err)
			}
		}
		e.applied = "done"
		entry.Action, entry.New, entry.PayloadHash, entry.Reason = store.ActionOutboxDone, outcomeText(e), out.RequestHash, out.Note
		if out.Skipped {
			e.applied = "skipped"
			entry.Reason = join("nothing left to send: the remote already holds the desired values", out.Note)
		} else if err := tx.CountHour(store.StatSent, now, 1); err != nil { // the dashboard's hourly figures
			return err
		}
	case vHeld, vNotSent, vFatal:
		m.Attempts-- // the remote never processed it: the attempt is given back
		m.Error = f.Message
		if e.verdict == vHeld {
			m.State, e.applied = Held, "held"
			entry.Action, entry.New = store.ActionOutboxHeld, string(Held)
			entry.Reason = "the remote cannot be reached; the attempt is given back and the message waits for it: " + f.Message
		} else {
			m.State, m.NextAttempt, e.applied = Pending, now, "not sent"
			if e.verdict == vNotSent {
				wait := f.RetryAfter
				if wait <= 0 {
					wait = r.o.wait(1)
				}
				m.NextAttempt = now.Add(wait)
			}
			entry.Action, entry.New = store.ActionOutboxFail, string(Pending)
			entry.Reason = "not sent, the attempt is given back: " + f.Message
		}
	case vRetry, vDead:
		m.Status, m.ReasonCode, m.Origin, m.Error = f.Status, f.ReasonCode, f.Origin, f.Error()
		m.Reference, m.RequestHash, m.Urgent, m.Advice = f.Reference, f.RequestHash, f.Urgent, f.Advice
		entry.PayloadHash = f.RequestHash
		if e.verdict == vDead || m.Attempts >= max {
			m.State, e.applied = Dead, "dead"
			entry.Action, entry.New = store.ActionOutboxDead, string(Dead)
			why := "refused for good"
			if e.verdict == vRetry {
				why = fmt.Sprintf("attempt %d of %d failed, none is left", m.Attempts, max)
			}
			entry.Reason = why + ": " + f.Error()
		} else {
			wait := r.o.wait(m.Attempts)
			if f.RetryAfter > 0 {
				wait = f.RetryAfter
			}
			m.State, m.NextAttempt, e.applied = Pending, now.Add(wait), "retry"
			entry.Action, entry.New = store.ActionOutboxFail, string(Pending)
			entry.Reason = fmt.Sprintf("attempt %d of %d failed, next in %s: %s", m.Attempts, max, wait.Round(10*time.Millisecond), f.Error())
		}
	}
	if err := t.Put(m.ID, m); err != nil {
		return err
	}
	_, err = tx.Append(entry)
	return err
}

// tally adds an attempt's end to the report.
func (r *run) tally(e *ended) {
	switch e.applied {
	case "done":
		r.rep.Sent++
	case "skipped":
		r.rep.Sent++
		r.rep.Skipped++
	case "dead":
		r.rep.Dead++
	case "retry":
		r.rep.Failed++
	case "stale":
		r.rep.Stale++
	}
}

// log writes the attempt's end: what was sent (its hash), what came back, and what the outbox did.
func (r *run) log(e *ended) {
	m := e.res.m
	lvl := zerolog.InfoLevel
	switch e.applied {
	case "dead", "stale":
		lvl = zerolog.WarnLevel
	case "retry", "held", "not sent":
		lvl = zerolog.InfoLevel
	}
	ev := r.o.opts.Log.WithLevel(lvl).Uint64("message", m.ID).Str("kind", m.Kind).Str("key", m.Key).
		Int("attempt", m.Attempts).Str("claim", m.Claim).Str("request_hash", e.requestHash()).Str("outcome", e.applied)
	if e.verdict == vDone {
		ev = ev.Int("status", e.res.out.Status).Str("reference", e.res.out.Reference)
		if e.res.out.Note != "" {
			ev = ev.Str("note", e.res.out.Note)
		}
	} else if f := e.failure; f != nil {
		ev = ev.Int("status", f.Status).Str("reference", f.Reference).Str("reason_code", f.ReasonCode).Str("error", f.Error())
	}
	ev.Msg("outbound message attempt ended")
}

func (e *ended) requestHash() string {
	if e.verdict == vDone {
		return e.res.out.RequestHash
	}
	if e.failure != nil {
		return e.failure.RequestHash
	}
	return ""
}

// outcomeText is an attempt's outcome for the audit entry: "done: HTTP 200, reference 8f3…".
func outcomeText(e *ended) string {
	if e.verdict == vDone {
		out := e.res.out
		var parts []string
		if out.Skipped {
			return "done: nothing to send"
		}
		if out.Status != 0 {
			parts = append(parts, fmt.Sprintf("HTTP %d", out.Status))
		}
		if out.Reference != "" {
			parts = append(parts, "reference "+out.Reference)
		}
		if out.Summary != "" {
			parts = append(parts, out.Summary)
		}
		return strings.TrimSuffix("done: "+strings.Join(parts, ", "), ": ")
	}
	if e.failure != nil {
		return "failed: " + e.failure.Error()
	}
	return "failed"
}

// describe says what became of a message an attempt no longer holds.
func describe(m Message, ok bool) string {
	switch {
	case !ok:
		return "removed"
	case m.Discarded:
		return "discarded by " + m.DiscardedBy
	case m.State == Sending:
		return "claimed by a later attempt"
	}
	return string(m.State)
}
