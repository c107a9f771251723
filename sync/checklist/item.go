package checklist

import (
	"cmp"
	"time"
)

// System names one of the two checklist systems. It is also the value of a [checklist] owners entry.
type System string

// The two systems trialsync reconciles.
const (
	EDC  System = "edc"
	CTMS System = "ctms"
)

// Label is the system's name as a coordinator reads it ("EDC", "CTMS").
func (s System) Label() string {
	switch s {
	case EDC:
		return "EDC"
	case CTMS:
		return "CTMS"
	}
	return string(s)
}

// side is the index of a system in the engine's two-element arrays: EDC first. The merge is written over
// indexes, never over names, so that which system is "left" cannot change a decision.
func (s System) side() int {
	if s == CTMS {
		return 1
	}
	return 0
}

var systems = [2]System{EDC, CTMS}

// Status is a canonical checklist status. Each system's own vocabulary maps onto these four, in this order.
type Status string

// The canonical statuses.
const (
	NotStarted Status = "not_started"
	InReview   Status = "in_review"
	Complete   Status = "complete"
	Rejected   Status = "rejected"
)

// statuses lists the canonical statuses in the order a vocabulary maps them.
var statuses = [4]Status{NotStarted, InReview, Complete, Rejected}

// Key identifies a checklist item in both systems: its site and item code, normalised (trimmed,
// upper-cased), so that " 101 " and "101", or "fda-1572" and "FDA-1572", are the same item.
type Key struct {
	Site string `json:"site"`
	Code string `json:"code"`
}

// String is "site/code", for messages and screens.
func (k Key) String() string { return k.Site + "/" + k.Code }

// Compare orders keys by site, then code; Plan returns its decisions in this order.
func (k Key) Compare(o Key) int {
	if c := cmp.Compare(k.Site, o.Site); c != 0 {
		return c
	}
	return cmp.Compare(k.Code, o.Code)
}

// Item is a checklist item in canonical form, whichever system it came from. Values are normalised (see
// the package documentation), so two Items compare field by field with ==. It is what the baselines and the
// conflicts store, as JSON.
type Item struct {
	Site    string `json:"site"`
	Code    string `json:"code"`
	Version string `json:"version"`
	Status  Status `json:"status"`
	// EvidenceDocID is the ID of the document that evidences the item ("" when none).
	EvidenceDocID string `json:"evidence_doc_id"`
	// MilestoneSignedOff is NoFlag in a system that does not hold the field.
	MilestoneSignedOff Flag `json:"milestone_signed_off"`
	// PlannedActivationDate is "" (null) or YYYY-MM-DD.
	PlannedActivationDate Date `json:"planned_activation_date"`
	// SourceUpdated is when the source system last changed the record (UTC; zero in a baseline). It is
	// shown, never compared: clock skew must not decide anything.
	SourceUpdated time.Time `json:"source_updated,omitzero"`
	// Operator is who last changed the record in the source system ("" in a baseline).
	Operator string `json:"operator,omitempty"`
}

// Baseline is the last record both systems agreed on, as the caller stores it (JSON: the item's fields and
// "revision"). Revision counts the times it moved. It goes into the idempotency keys, so that a write that
// happens to repeat an earlier one byte for byte (the same value over a record that looks the same again)
// is never taken by the system for a replay of the earlier one.
type Baseline struct {
	Item
	Revision uint64 `json:"revision"`
}

// item is the baseline's item, or nil for no baseline.
func (b *Baseline) item() *Item {
	if b == nil {
		return nil
	}
	return &b.Item
}

// Key is the item's identity in both systems.
func (it *Item) Key() Key { return Key{Site: it.Site, Code: it.Code} }
