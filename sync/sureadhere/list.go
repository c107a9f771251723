package sureadhere

import (
	"context"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/outbox"
)

// Row is one subject as the Subjects screen and `subjects list` show it: its record, and where its
// send is.
type Row struct {
	Subject
	// Delivery is the state of the subject's last outbox message ("" when it has none); Attempts,
	// Error and Advice are that message's.
	Delivery  outbox.State
	Discarded bool
	Attempts  int
	Error     string
	Advice    string
}

// The statuses Row.Status gives, besides the outbox's pending, sending, held and dead.
const (
	StatusUnmapped   = "unmapped"
	StatusPushed     = "pushed"
	StatusArmChanged = "arm_changed"
	StatusDiscarded  = "discarded"
	StatusQueued     = "queued"
)

// Status is the subject's state in one word, as the screen and `subjects list` show it: unmapped,
// pending, sending, held, dead, discarded, pushed or arm_changed.
func (r Row) Status() string {
	switch r.State {
	case StateUnmapped:
		return StatusUnmapped
	case StatePushed:
		return StatusPushed
	case StateArmChanged:
		return StatusArmChanged
	}
	switch {
	case r.Discarded:
		return StatusDiscarded
	case r.Delivery == outbox.Pending, r.Delivery == outbox.Sending, r.Delivery == outbox.Held, r.Delivery == outbox.Dead:
		return string(r.Delivery)
	}
	return StatusQueued
}

// NeedsPerson reports whether a person must act for the subject to reach SureAdhere, or for an arm
// change to be settled: an unmapped arm, a dead send, an arm change.
func (r Row) NeedsPerson() bool {
	switch r.Status() {
	case StatusUnmapped, StatusArmChanged, string(outbox.Dead):
		return true
	}
	return false
}

// List returns every randomized subject, in study and subject order, with its message's state. It
// reads db only (a read-only store is fine).
func List(ctx context.Context, db *store.DB) ([]Row, error) {
	var rows []Row
	err := db.View(ctx, func(tx *store.Tx) error {
		msgs := store.Outbox[outbox.Message](tx)
		return store.Subjects[Subject](tx).Walk(nil, func(_ store.Key, s Subject) error {
			r := Row{Subject: s}
			if s.Message != 0 {
				m, ok, err := msgs.Get(s.Message)
				if err != nil {
					return err
				}
				if ok {
					r.Delivery, r.Discarded, r.Attempts, r.Error, r.Advice = m.State, m.Discarded, m.Attempts, m.Error, m.Advice
				}
			}
			rows = append(rows, r)
			return nil
		})
	})
	return rows, err
}

// Counts are the subjects by status, as the snapshot and the dashboard show them.
type Counts struct {
	Subjects   int // randomized subjects known
	Pushed     int // in SureAdhere, acknowledged arm changes included
	Queued     int // on their way: pending or sending
	Held       int // waiting for SureAdhere to answer again
	Dead       int // refused or out of attempts: a person retries or discards
	Discarded  int // a person ended the send
	Unmapped   int // the arm has no regimen: a person maps it
	ArmChanged int // the arm changed after the push: a person acknowledges
}

// Count counts rows by status.
func Count(rows []Row) Counts {
	c := Counts{Subjects: len(rows)}
	for _, r := range rows {
		switch r.Status() {
		case StatusPushed:
			c.Pushed++
		case StatusArmChanged:
			c.ArmChanged++
		case StatusUnmapped:
			c.Unmapped++
		case StatusDiscarded:
			c.Discarded++
		case string(outbox.Held):
			c.Held++
		case string(outbox.Dead):
			c.Dead++
		default:
			c.Queued++
		}
	}
	return c
}

// NeedPerson is how many subjects wait for a person: unmapped arms, dead sends, arm changes.
func (c Counts) NeedPerson() int { return c.Unmapped + c.Dead + c.ArmChanged }
