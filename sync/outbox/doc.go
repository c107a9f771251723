// Package outbox delivers every outbound send of trialsync durably: exposure log lines to Rave,
// subjects to SureAdhere, checklist writes to the EDC and the CTMS. An engine puts what it wants sent
// in the outbox in the same store transaction as the change that caused it; the outbox sends it, as
// many times as it takes and no more, in order per key, and records every state change in the audit
// trail.
//
// # Using it
//
// An engine does three things:
//
//  1. Enqueue, inside its own db.Update, with the change that caused the send and the engine's own audit
//     entry. Enqueue writes the message and its outbox.enqueue entry in that transaction (see the
//     example below).
//
//  2. Implement Sender for its kind: Send gets the claimed Message (its Payload, its IdempotencyKey, the
//     same for every attempt of that payload, and Claim, a token unique to the attempt that serves as its
//     correlation ID) and makes one request. It returns an Outcome (the request's hash, the status, the
//     remote's reference, and Commit, the engine's own state change, run in the transaction that marks
//     the message done) or an error: a *Failure says how the remote refused it; an error carrying
//     Ready() (remote.OfflineError) means the remote could not be reached; an error whose Fatal() says
//     true stops delivery until a person acts. Register it with Outbox.Register and its Policy.
//
//  3. Call Outbox.Deliver (the agent's send service and `send --once` do): one run that sends until
//     every message of the registered kinds is done, dead, held, or waiting behind a dead message.
//
// For example, a subject push:
//
//	err := db.Update(ctx, func(tx *store.Tx) error {
//		q, err := outbox.Enqueue(tx, outbox.Draft{Kind: outbox.KindSubject, Key: rec.Key(), Payload: want, Prev: rec.Message})
//		if err != nil {
//			return err
//		}
//		rec.Want = &want   // the engine's own record of the key: what it asked to send
//		rec.Message = q.ID // kept for the next Enqueue of this key, so that edits coalesce
//		if err := store.Subjects[Subject](tx).Put(key, rec); err != nil {
//			return err
//		}
//		_, err = tx.Append(store.Entry{Action: store.ActionSubjectPush, Object: rec.Object(), New: "queued"})
//		return err
//	})
//
// and, once it committed, a kick of the send service so that delivery starts at once.
//
// # Guarantees
//
//   - Once the transaction that called Enqueue commits, the message survives a kill -9. Every message
//     ends done or dead; none is lost and none is left stuck.
//   - A claim (state sending, attempts+1, a new Claim token) is committed, with its outbox.send entry,
//     before the request leaves. A message found sending when a run starts was interrupted (the process
//     died, or the run was cancelled): that attempt counts, and the message is sent again with the same
//     IdempotencyKey (for Rave, the same Context), or is dead if it was the last attempt allowed. A run
//     claims up to 4 × Concurrency messages ahead of the free request slots, and commits the ends of the
//     attempts that finished together with the next claims (a group commit), so a kill costs each
//     message it interrupts one attempt at most.
//   - Only the attempt that holds the claim may complete a message: the completing transaction compares
//     the Claim token, as River's rescuer learned to check the state it read. An outcome that arrives
//     after a person discarded the message is recorded (outbox.stale) and not applied.
//   - Retries: a Failure that is not Permanent waits an exponential backoff with ±20 % jitter
//     (cenkalti/backoff/v5: 1 s doubling to 32 s by default), or the remote's Retry-After when it gave
//     one; a Permanent one is dead at once; never more than Policy.MaxAttempts attempts. A remote that
//     cannot be reached spends no attempt: the message is held (the attempt given back), with every
//     other pending message of its kind, and the kind resumes when the remote's Ready channel closes.
//     A request not sent at all (a paused circuit breaker) gives its attempt back too.
//   - Order per key: a key (Kind and Key) has at most one message in flight, and later messages wait
//     behind it. An edit for a key whose last message is still pending or held (not yet claimed)
//     replaces that message's Payload instead of adding a second send (coalescing), and an edit that
//     changes nothing changes nothing. A dead message blocks the later messages of its key until a
//     person retries (Outbox.Retry) or discards (Outbox.Discard) it; other keys keep flowing.
//   - Every state change is one store transaction with its audit entry (outbox.enqueue, outbox.send,
//     outbox.done, outbox.fail, outbox.held, outbox.dead, outbox.retry, outbox.discard), and every
//     attempt's end is logged with the request's hash, the status, the remote's reference and the
//     outcome.
//
// # Caveats
//
// Done messages are kept, for the record, and the runs skip over them cheaply (a run starts from the
// first message not yet finished). Nothing prunes them; their audit entries would stay either way.
//
// One Outbox per store: the store's file lock keeps other processes out, and the Outbox serialises
// deliveries of a kind and knows which claims are live. Messages of kinds no Sender is registered for
// are kept as they are, neither sent nor recovered, until a run that registers their kind.
package outbox
