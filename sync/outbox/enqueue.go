package outbox

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/trialsync/trialsync/store"
)

// Draft is a message to put in the outbox.
type Draft struct {
	Kind string // KindExposure, KindSubject, KindChecklist
	Key  string // the ordering key within the kind (a log line, a subject, a checklist item)
	// Payload is the desired state to send, encoded as JSON; the Sender reads it back with Decode.
	Payload any
	// IdempotencyKey is kept for every attempt; "" draws a random one. When a draft is coalesced into
	// a message that was already attempted, the message takes the draft's key (or a new random one):
	// a different payload must never reuse a key a remote may have stored with the old one.
	IdempotencyKey string
	// Prev is the ID Enqueue returned the last time for this Kind and Key, which the engine keeps in its
	// own record of the key (0 for none). When that message is still pending or held, the draft
	// replaces its payload instead of adding a second send.
	Prev uint64
	// Reason is recorded on the outbox.enqueue entry ("imported from doses.csv"); optional.
	Reason string
}

// Enqueued is what Enqueue did.
type Enqueued struct {
	ID uint64 // the message that will carry the draft: new, or the one it was coalesced into
	// Coalesced: an unsent message of the key took the draft's payload; no second send was added.
	Coalesced bool
	// Unchanged: that message already carried exactly this payload; nothing was written.
	Unchanged bool
}

// Errors of Enqueue: a broken precondition of the caller.
var (
	ErrNoKind = errors.New("outbox: a message needs a kind and a key")
	ErrPrev   = errors.New("outbox: Prev names a message of another key")
)

// Enqueue puts d in the outbox within tx, the caller's transaction, with its outbox.enqueue audit entry:
// the message exists exactly when the caller's change does. It never sends anything; kick the delivery
// once tx has committed.
//
// When d.Prev names a message of the same key that no attempt has claimed yet (pending or held), that
// message takes d's payload (coalescing): edits made before a send become one send. Otherwise a new
// pending message is added behind the key's earlier ones.
func Enqueue(tx *store.Tx, d Draft) (Enqueued, error) {
	if d.Kind == "" || d.Key == "" {
		return Enqueued{}, ErrNoKind
	}
	payload, err := json.Marshal(d.Payload)
	if err != nil {
		return Enqueued{}, fmt.Errorf("outbox: encoding the %s payload for %s: %w", d.Kind, d.Key, err)
	}
	t := store.Outbox[Message](tx)
	now := time.Now().UTC()
	if d.Prev != 0 {
		prev, ok, err := t.Get(d.Prev)
		if err != nil {
			return Enqueued{}, err
		}
		if ok && (prev.Kind != d.Kind || prev.Key != d.Key) {
			return Enqueued{}, fmt.Errorf("%w: message %d is %s %s, not %s %s", ErrPrev, d.Prev, prev.Kind, prev.Key, d.Kind, d.Key)
		}
		if ok && (prev.State == Pending || prev.State == Held) && prev.Claim == "" {
			if bytes.Equal(prev.Payload, payload) {
				return Enqueued{ID: prev.ID, Coalesced: true, Unchanged: true}, nil
			}
			old := hashOf(prev.Payload)
			prev.Payload, prev.Updated, prev.Edits = payload, now, prev.Edits+1
			if prev.Attempts > 0 || d.IdempotencyKey != "" {
				prev.IdempotencyKey = orToken(d.IdempotencyKey)
			}
			if err := t.Put(prev.ID, prev); err != nil {
				return Enqueued{}, err
			}
			_, err = tx.Append(store.Entry{Action: store.ActionOutboxEnqueue, Object: prev.Object(),
				Old: "payload sha256:" + old, New: "payload sha256:" + hashOf(payload), PayloadHash: hashOf(payload),
				Reason: join("edit of "+d.Kind+" "+d.Key+" coalesced into the unsent message", d.Reason)})
			return Enqueued{ID: prev.ID, Coalesced: true}, err
		}
	}
	id, err := t.NextID()
	if err != nil {
		return Enqueued{}, err
	}
	m := Message{ID: id, Kind: d.Kind, Key: d.Key, Payload: payload, IdempotencyKey: orToken(d.IdempotencyKey),
		State: Pending, NextAttempt: now, Enqueued: now, Updated: now}
	if err := t.Put(id, m); err != nil {
		return Enqueued{}, err
	}
	_, err = tx.Append(store.Entry{Action: store.ActionOutboxEnqueue, Object: m.Object(), New: string(Pending),
		PayloadHash: hashOf(payload), Reason: join(d.Kind+" "+d.Key+" queued", d.Reason)})
	return Enqueued{ID: id}, err
}

func orToken(s string) string {
	if s == "" {
		return newToken()
	}
	return s
}

// hashOf is the hex SHA-256 of b, as audit entries carry payload and request hashes.
func hashOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// HashOf is the hex SHA-256 of a request body, for Outcome.RequestHash and Failure.RequestHash.
func HashOf(body []byte) string { return hashOf(body) }

func join(a, b string) string {
	if b == "" {
		return a
	}
	return a + ": " + b
}
