package checklist

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/outbox"
)

// Sender delivers the checklist writes the outbox holds (kind outbox.KindChecklist), one PUT per
// message with its idempotency key and its body exactly as planned.
//
// The systems offer no conditional PUT, and a body is the target's record as it was listed with the
// written fields replaced: sent blindly, it would undo an edit made in the target since the listing.
// So just before each PUT the Sender reads the item from the target (GET on its item path) and sends
// only when the target still holds the record the plan saw. When it does not:
//   - the target already holds the values the write carries (the write arrived before trialsync
//     stopped, or a person made the same change): nothing is sent and the write counts as done;
//   - anything else (a person edited or deleted the item meanwhile): nothing is sent, the write is
//     dropped, its fields keep their old baseline, and the next reconciliation decides them again
//     from what both systems hold then.
//
// Either way the write settles in the transaction that marks its message done, and the item's new
// baseline is stored when its last write settles. What is left is the instant between the GET and the
// PUT; closing it would need the systems to honour If-Match.
type Sender struct {
	remotes RemoteFunc
	now     func() time.Time
}

// RemoteFunc gives the client of system s when a write is to be sent to it (the agent builds its
// clients on first use, and again after a token changed).
type RemoteFunc func(ctx context.Context, s System) (*Remote, error)

// Remotes is the RemoteFunc of two clients already built.
func Remotes(edc, ctms *Remote) RemoteFunc {
	return func(_ context.Context, s System) (*Remote, error) {
		if s == CTMS {
			return ctms, nil
		}
		return edc, nil
	}
}

// NewSender delivers to the systems remotes gives.
func NewSender(remotes RemoteFunc) *Sender {
	return &Sender{remotes: remotes, now: time.Now}
}

// Send delivers one write (outbox.Sender).
func (s *Sender) Send(ctx context.Context, m outbox.Message) (outbox.Outcome, error) {
	var w writeMessage
	if err := m.Decode(&w); err != nil {
		return outbox.Outcome{}, &outbox.Failure{Permanent: true, Message: err.Error(), Err: err}
	}
	if w.System != EDC && w.System != CTMS {
		return outbox.Outcome{}, &outbox.Failure{Permanent: true, Message: "a checklist write to an unknown system " + string(w.System)}
	}
	r, err := s.remotes(ctx, w.System)
	if err != nil {
		return outbox.Outcome{}, err
	}
	cur, found, err := r.Item(ctx, w.Path)
	if err != nil {
		return outbox.Outcome{}, err
	}
	settle := func(to, why string) func(tx *store.Tx) error {
		return func(tx *store.Tx) error { return settleWrite(tx, w.Study, w.Key, m.ID, to, why, s.now()) }
	}
	switch verdict, why := targetNow(r.Adapter(), &w, cur, found); verdict {
	case targetHolds:
		return outbox.Outcome{Skipped: true, Note: why, Commit: settle(WriteDone, why)}, nil
	case targetChanged:
		return outbox.Outcome{Summary: "not sent: " + why, Commit: settle(WriteDropped, why)}, nil
	}
	body := []byte(w.Body)
	_, status, err := r.Put(ctx, w.Path, body, m.IdempotencyKey)
	if err != nil {
		return outbox.Outcome{}, err
	}
	return outbox.Outcome{RequestHash: outbox.HashOf(body), Status: status, Summary: changesText(w.Changes, false),
		Commit: settle(WriteDone, "")}, nil
}

type verdict int

const (
	targetAsPlanned verdict = iota // the target holds the record the plan saw: send
	targetHolds                    // the target already holds the written values: done without sending
	targetChanged                  // the target changed otherwise since the plan: drop
)

// targetNow compares the target's current record (cur; found false when it has none) with the one the
// plan saw and with what the write would make of it.
func targetNow(ad *Adapter, w *writeMessage, cur json.RawMessage, found bool) (verdict, string) {
	if found && !w.Creates && sameJSON(cur, []byte(w.Listed)) {
		return targetAsPlanned, ""
	}
	if !found && w.Creates {
		return targetAsPlanned, ""
	}
	if !found {
		return targetChanged, "the " + w.System.Label() + " deleted the item since it was listed"
	}
	want, have := ad.Decode([]byte(w.Body)), ad.Decode(cur)
	if ad.holdsSame(&want.Item, &have.Item) {
		return targetHolds, "the " + w.System.Label() + " already holds the values"
	}
	if w.Creates {
		return targetChanged, "the " + w.System.Label() + " has the item again, with other values, since it was listed"
	}
	return targetChanged, "the " + w.System.Label() + " record changed since it was listed"
}

// holdsSame reports whether two items agree on every merged field the system holds.
func (a *Adapter) holdsSame(x, y *Item) bool {
	for f := range numFields {
		if a.Holds(f) && f.value(x) != f.value(y) {
			return false
		}
	}
	return true
}

// sameJSON reports whether two JSON documents hold the same values (member order and spacing aside).
func sameJSON(a, b []byte) bool {
	if bytes.Equal(bytes.TrimSpace(a), bytes.TrimSpace(b)) {
		return true
	}
	var x, y any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	if da.Decode(&x) != nil || db.Decode(&y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
