package outbox

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// State is where a message is in its life. A message moves only between these, each move in one store
// transaction with its audit entry:
//
//	pending -> sending          claimed by a run (attempts+1), before the request leaves
//	sending -> done             the remote acknowledged it
//	sending -> pending          the attempt failed and another is allowed, after a backoff
//	sending -> dead             refused for good, or the last attempt allowed failed
//	sending -> held             the remote could not be reached (the attempt given back)
//	pending -> held             its kind's remote went offline during a run
//	held    -> sending          claimed again once the remote answers
//	dead    -> pending          a person retried it (Outbox.Retry)
//	any but done -> dead        a person discarded it (Outbox.Discard; Discarded set)
type State string

// The states of a message, exactly as `queue list` shows them.
const (
	Pending State = "pending" // waiting for its turn or its next attempt
	Sending State = "sending" // an attempt is in flight (or was, when the process died)
	Held    State = "held"    // its remote cannot be reached; it is sent once it answers, spending nothing
	Done    State = "done"    // the remote acknowledged it
	Dead    State = "dead"    // it will not be sent unless a person retries it
)

// States lists every state, in the order screens show them.
var States = []State{Pending, Sending, Held, Dead, Done}

// ParseState reads a state name ("pending", …).
func ParseState(s string) (State, error) {
	for _, st := range States {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown message state %q: want pending, sending, held, done or dead", s)
}

// The kinds of message trialsync sends; a Sender is registered per kind.
const (
	KindExposure  = "exposure"  // an exposure log line to Rave
	KindSubject   = "subject"   // a randomized subject to SureAdhere
	KindChecklist = "checklist" // a checklist item write to the EDC or the CTMS
)

// Message is one outbound message as the outbox keeps it (store.Outbox, keyed by ID). Everything a
// person needs to understand a dead one is here: the last failure's status, reason code, where the
// remote found the problem, its words and the advice for it.
type Message struct {
	ID   uint64 `json:"id"`
	Kind string `json:"kind"`
	// Key orders the messages of a kind: one key (a log line, a subject, a checklist item) has at most
	// one message in flight, and its messages are sent in the order they were queued.
	Key string `json:"key"`
	// Payload is the engine's desired state for the key, as JSON (Decode reads it).
	Payload json.RawMessage `json:"payload"`
	// IdempotencyKey is the same for every attempt of the message, so that a request resent after a
	// lost answer is harmless (an Idempotency-Key header, an MRN; for Rave the log line's Context).
	IdempotencyKey string `json:"idempotency_key"`

	State    State `json:"state"`
	Attempts int   `json:"attempts"` // attempts made, the one in flight included
	// Claim is the token of the attempt in flight (state sending), "" otherwise. Each attempt gets a new
	// one; it is the attempt's correlation ID (Rave's FileOID) and only its holder may complete the
	// message.
	Claim       string    `json:"claim,omitempty"`
	NextAttempt time.Time `json:"next_attempt"` // not claimed before this time
	Enqueued    time.Time `json:"enqueued"`
	Updated     time.Time `json:"updated"`
	Edits       int       `json:"edits,omitempty"` // later edits coalesced into it before it was claimed

	// The last attempt's outcome.
	Status      int    `json:"status,omitempty"`       // HTTP status, 0 when none was received
	ReasonCode  string `json:"reason_code,omitempty"`  // the remote's reason code (RWS00033)
	Origin      string `json:"origin,omitempty"`       // where the remote found the problem (ErrorOriginLocation)
	Error       string `json:"error,omitempty"`        // what went wrong, in words
	Advice      string `json:"advice,omitempty"`       // what a coordinator should do about a dead message
	Urgent      bool   `json:"urgent,omitempty"`       // a refusal a person must see today (a wrong drug)
	Reference   string `json:"reference,omitempty"`    // the remote's reference for the answer (ReferenceNumber)
	RequestHash string `json:"request_hash,omitempty"` // hex SHA-256 of the last request's body
	// Note is a remark on a delivered message a person should see: Rave's statistics do not match
	// what the send should have touched.
	Note string `json:"note,omitempty"`

	// Discarded marks a dead message a person ended (Outbox.Discard): it no longer blocks its key and
	// cannot be retried.
	Discarded     bool   `json:"discarded,omitempty"`
	DiscardReason string `json:"discard_reason,omitempty"`
	DiscardedBy   string `json:"discarded_by,omitempty"`
}

// Decode reads the message's Payload into v.
func (m Message) Decode(v any) error {
	if err := json.Unmarshal(m.Payload, v); err != nil {
		return fmt.Errorf("outbox message %d (%s %s): payload: %w", m.ID, m.Kind, m.Key, err)
	}
	return nil
}

// Object names the message in audit entries: "outbox/12".
func (m Message) Object() string { return Object(m.ID) }

// Object names message id in audit entries: "outbox/12".
func Object(id uint64) string { return "outbox/" + strconv.FormatUint(id, 10) }

// finished reports whether the message can never change again: delivered, or dead and discarded. The
// runs start their walk after the finished messages at the head of the queue.
func (m Message) finished() bool { return m.State == Done || m.State == Dead && m.Discarded }

// lane is a message's ordering lane: its kind and key.
type lane struct{ kind, key string }

func (m Message) lane() lane { return lane{m.Kind, m.Key} }

// newToken returns a random UUID (version 4): claim tokens and default idempotency keys. Rave needs a
// FileOID that is unique per send; a UUID is what its own tools use.
func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
