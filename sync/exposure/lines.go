package exposure

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/outbox"
)

// Stored is one log line as the exposures bucket keeps it (store.ExposureKey: study, subject, form,
// start date): the values wanted in Rave, the values Rave last acknowledged, and the outbox message
// that carries the latest change.
type Stored struct {
	Line LogLine `json:"line"` // the desired state
	// Acked is what Rave holds after the last acknowledged send; nil until the first one. Sends carry
	// only what differs from it.
	Acked   *Values   `json:"acked,omitempty"`
	Message uint64    `json:"message,omitempty"` // the outbox message of the latest change (Draft.Prev)
	Source  string    `json:"source,omitempty"`  // where the latest change came from (a file, the intake, a person)
	Updated time.Time `json:"updated"`
	// Sent is when Rave last acknowledged a send of the line, Reference its ReferenceNumber.
	Sent      time.Time `json:"sent,omitzero"`
	Reference string    `json:"reference,omitempty"`
}

// Lines is the exposure queue of one store: the Queue the intake doors (file, HTTP, the entry form)
// fill. Each record is stored as its log line's desired values and queued in the outbox, coalesced with
// an unsent earlier change of the same line, in one transaction with the audit entries.
type Lines struct {
	db    *store.DB
	study string
	// queued is called after a transaction that queued something has committed (the agent kicks the
	// send service); nil for none.
	queued func()
}

// NewLines returns the exposure queue of db for the study exposure log lines are written to. queued,
// when set, is called after each import that queued a change.
func NewLines(db *store.DB, study string, queued func()) *Lines {
	return &Lines{db: db, study: study, queued: queued}
}

// Key is the store key of a log line of the study.
func (l *Lines) Key(k Key) store.Key {
	return store.ExposureKey(l.study, k.Subject, k.Form, k.StartDate)
}

// Import implements Queue on the agent's behalf.
func (l *Lines) Import(ctx context.Context, recs []Record, source string) (int, error) {
	return l.ImportAs(ctx, "", recs, source)
}

// ImportAs stores recs as their log lines' desired values and queues each changed line's send, in one
// transaction on behalf of actor ("" for the agent, an OS user for a person at the entry form). A
// record equal to what is already wanted changes nothing; a changed one gets an exposure.import entry
// with the old and new values and the outbox's own entry. It returns how many records it took (all of
// them, unchanged ones included); on error none was stored.
func (l *Lines) ImportAs(ctx context.Context, actor string, recs []Record, source string) (int, error) {
	changed := 0
	err := l.db.UpdateAs(ctx, actor, func(tx *store.Tx) error {
		changed = 0
		t := store.Exposures[Stored](tx)
		now := time.Now().UTC()
		for _, rec := range recs {
			line := rec.LogLine()
			key := l.Key(line.Key)
			st, had, err := t.Get(key)
			if err != nil {
				return err
			}
			if had && st.Line == line {
				continue // an edit that changes nothing
			}
			old := ""
			if had {
				old = valuesText(st.Line)
			}
			q, err := outbox.Enqueue(tx, outbox.Draft{Kind: outbox.KindExposure, Key: key.String(), Payload: line,
				Prev: st.Message, Reason: "from " + source})
			if err != nil {
				return err
			}
			st.Line, st.Message, st.Source, st.Updated = line, q.ID, source, now
			if err := t.Put(key, st); err != nil {
				return err
			}
			if _, err := tx.Append(store.Entry{Action: store.ActionExposureImport, Object: "exposures/" + key.String(),
				Old: old, New: valuesText(line), Reason: "dose record from " + source}); err != nil {
				return err
			}
			changed++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if changed > 0 && l.queued != nil {
		l.queued()
	}
	return len(recs), nil
}

// Get returns the stored log line of k; ok is false when there is none.
func (l *Lines) Get(ctx context.Context, k Key) (st Stored, ok bool, err error) {
	err = l.db.View(ctx, func(tx *store.Tx) error {
		st, ok, err = store.Exposures[Stored](tx).Get(l.Key(k))
		return err
	})
	return st, ok, err
}

// valuesText is a line's site, drug and values as the audit entry records them (JSON, stable order).
func valuesText(line LogLine) string {
	b, err := json.Marshal(struct {
		Site string `json:"site"`
		Drug string `json:"drug"`
		Values
	}{line.Site, line.Drug, line.Values})
	if err != nil {
		return fmt.Sprintf("%+v", line)
	}
	return string(b)
}
