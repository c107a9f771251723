package checklist

import (
	"encoding/json"
	"time"

	"github.com/trialsync/trialsync/store"
)

// What the store keeps of reconciliation, in the two buckets ARCHITECTURE.md gives it: per item, in
// store.Baselines, the last agreed record, the decision whose writes are on their way, and what the last
// run found wrong with the item; per conflict, in store.Conflicts, both sides and the baseline.

// pair names the two systems in store keys, with the study, so that two studies' checklists never mix.
func pair(study string) string { return "edc-ctms:" + study }

// itemKey is an item's key in store.Baselines.
func itemKey(study string, k Key) store.Key { return store.BaselineKey(pair(study), k.Site, k.Code) }

// conflictKey is an item's key in store.Conflicts (site and item under the study).
func conflictKey(study string, k Key) store.Key { return store.NewKey(study, k.Site, k.Code) }

// ItemState is one item's record in store.Baselines.
type ItemState struct {
	// Agreed is the last record both systems agreed on; nil before the first agreement.
	Agreed *Baseline `json:"agreed,omitempty"`
	// Pending is the decision whose writes are queued; the item is not planned again until it settles.
	Pending *Pending `json:"pending,omitempty"`
	// Finding is why the last run could not reconcile the item (a gap or an unmapped record).
	Finding *Finding `json:"finding,omitempty"`
}

func (s *ItemState) empty() bool { return s.Agreed == nil && s.Pending == nil && s.Finding == nil }

// Pending is a decision whose writes the outbox is delivering. Its baseline is stored as Agreed only
// once every write is settled: acknowledged (2xx), or found already there. A write dropped because its
// target changed since the plan leaves its fields at the old baseline, so the next run decides them
// again against what the systems hold by then.
type Pending struct {
	Outcome Outcome `json:"outcome"`
	// Baseline is the decision's new baseline (nil: the stored one stands); DropBaseline deletes it.
	Baseline     *Baseline      `json:"baseline,omitempty"`
	DropBaseline bool           `json:"drop_baseline,omitempty"`
	Writes       []PendingWrite `json:"writes"`
	Planned      time.Time      `json:"planned"`
	// Conflict is the ID of the conflict an adjudication settled, "" for a run's own decision.
	Conflict string `json:"conflict,omitempty"`
}

// The states of a pending write.
const (
	WriteQueued  = "queued"  // in the outbox
	WriteDone    = "done"    // acknowledged, or the target already held the values
	WriteDropped = "dropped" // not sent: the target changed since the plan, or a person discarded it
)

// PendingWrite is one write of a pending decision: its outbox message and the fields it carries.
type PendingWrite struct {
	System  System  `json:"system"`
	Message uint64  `json:"message"`
	Fields  []Field `json:"fields"`
	State   string  `json:"state"`
	// Why says why a write was dropped.
	Why string `json:"why,omitempty"`
}

// settled reports whether no write of p is still queued.
func (p *Pending) settled() bool {
	for _, w := range p.Writes {
		if w.State == WriteQueued {
			return false
		}
	}
	return true
}

// Finding is a gap or an unmapped item as the last run saw it, with the raw records, for a person.
type Finding struct {
	Outcome Outcome `json:"outcome"` // OutcomeGap or OutcomeUnmapped
	// Missing is the system without the item (a gap).
	Missing System `json:"missing,omitempty"`
	// Defects are why the item is unmapped, each with the raw record as received.
	Defects []Defect `json:"defects,omitempty"`
	// Raw is the record of the system that has a gap item, as received.
	Raw json.RawMessage `json:"raw,omitempty"`
	// Keyless is set for a record without a readable site or item code, stored under a key made from
	// its bytes.
	Keyless bool `json:"keyless,omitempty"`
	// Since is when a run first found it.
	Since time.Time `json:"since"`
}

// same reports whether f says what g says (the times apart).
func (f *Finding) same(g *Finding) bool {
	if f == nil || g == nil {
		return f == g
	}
	a, _ := json.Marshal(Finding{Outcome: f.Outcome, Missing: f.Missing, Defects: f.Defects, Raw: f.Raw})
	b, _ := json.Marshal(Finding{Outcome: g.Outcome, Missing: g.Missing, Defects: g.Defects, Raw: g.Raw})
	return string(a) == string(b)
}

// OpenConflict is a conflict as store.Conflicts keeps it: the latest copy a run made, its identity and
// age, and, once settled, how.
type OpenConflict struct {
	Study string `json:"study"`
	// Conflict is the latest copy; its ID is the conflict's identity, kept while it stays open.
	Conflict
	// Opened is when a run first found it; Updated when a run last changed what it holds.
	Opened  time.Time `json:"opened"`
	Updated time.Time `json:"updated"`
	// Closed is set once it is settled: by a person (Resolution), or because both systems came to agree.
	Closed     time.Time   `json:"closed,omitzero"`
	Resolution *Resolution `json:"resolution,omitempty"`
}

// IsOpen reports whether the conflict still waits for a person.
func (c *OpenConflict) IsOpen() bool { return c.Closed.IsZero() }

// Age is how long the conflict has waited at now (until it closed, for a closed one).
func (c *OpenConflict) Age(now time.Time) time.Duration {
	if !c.IsOpen() {
		return c.Closed.Sub(c.Opened)
	}
	return now.Sub(c.Opened)
}

// Resolution is how a conflict was settled.
type Resolution struct {
	// By is the person (their OS user), or "agent" when both systems came to agree.
	By     string `json:"by"`
	Reason string `json:"reason"`
	// Take is the system chosen per field; empty when both systems came to agree.
	Take map[Field]System `json:"take,omitempty"`
}
