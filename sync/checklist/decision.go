package checklist

import "encoding/json"

// Outcome is what reconciliation decided for one item. The names are those of the reconcile summary line.
type Outcome string

// The outcomes, in the order of the summary line.
const (
	OutcomeInSync    Outcome = "in_sync"
	OutcomeWriteCTMS Outcome = "write_ctms"
	OutcomeWriteEDC  Outcome = "write_edc"
	OutcomeWriteBoth Outcome = "write_both"
	OutcomeConflict  Outcome = "conflict"
	OutcomeGap       Outcome = "gap"
	OutcomeUnmapped  Outcome = "unmapped"
)

// Cause says why a field is written, for the audit entry.
type Cause string

// The causes of a write.
const (
	// OwnerChanged: the owner changed the field since the baseline; its value goes to the other system.
	OwnerChanged Cause = "owner_changed"
	// OwnerRestored: the other system changed the field while the owner did not; the owner's value is put
	// back and the overwritten value is kept in the Change.
	OwnerRestored Cause = "owner_restored"
	// InitialAlignment: there is no baseline yet (first sync); the owner's value wins.
	InitialAlignment Cause = "initial_alignment"
	// Adjudicated: a person chose this value to settle a conflict.
	Adjudicated Cause = "adjudicated"
)

// Decision is what to do about one item. Nothing in it has been done: the caller sends the Writes, and
// stores Baseline only once every write was acknowledged.
type Decision struct {
	Key     Key     `json:"key"`
	Outcome Outcome `json:"outcome"`
	// Initial is set when there was no baseline: the owner won every field (initial alignment).
	Initial bool `json:"initial,omitempty"`
	// Writes holds at most one write per system, EDC first. Empty unless the outcome is a write.
	Writes []Write `json:"writes,omitempty"`
	// Conflict is set for OutcomeConflict: both sides and the baseline, for a person to settle.
	Conflict *Conflict `json:"conflict,omitempty"`
	// Missing is the system that does not have the item, for OutcomeGap.
	Missing System `json:"missing,omitempty"`
	// Defects are why the item is unmapped, one per record that could not be used.
	Defects []Defect `json:"defects,omitempty"`
	// EDC and CTMS are the records compared (nil when the system has none); they point into the Plan's
	// input.
	EDC  *Record `json:"edc,omitempty"`
	CTMS *Record `json:"ctms,omitempty"`
	// Baseline is the new baseline to store once every write of this decision was acknowledged (at once
	// when there is none). Nil means the stored baseline stands: it is unchanged, or the item is in
	// conflict, a gap or unmapped and must not move.
	Baseline *Baseline `json:"baseline,omitempty"`
	// DropBaseline asks the caller to delete the stored baseline (a person accepted a deletion).
	DropBaseline bool `json:"drop_baseline,omitempty"`
	// ClosesConflict is set when the item's open conflict ends with this decision: adjudicated, or both
	// systems now agree on every field.
	ClosesConflict bool `json:"closes_conflict,omitempty"`
	// Reason is the person's reason, for an adjudication.
	Reason string `json:"reason,omitempty"`
}

// WriteTo is the decision's write to system s, or nil when there is none.
func (d *Decision) WriteTo(s System) *Write {
	for i := range d.Writes {
		if d.Writes[i].System == s {
			return &d.Writes[i]
		}
	}
	return nil
}

// Write is one PUT to one system: the item's record there with some fields changed.
type Write struct {
	// System is the system written to.
	System System `json:"system"`
	Key    Key    `json:"key"`
	// Path is the PUT path, from the system's own spelling of the key.
	Path string `json:"path"`
	// Changes are the fields written, with the value each overwrites.
	Changes []Change `json:"changes"`
	// Body is the PUT body: the system's record as it last sent it, with the changed fields replaced.
	Body json.RawMessage `json:"body"`
	// IdempotencyKey is derived from the payload (system, path, body) and the baseline's revision: the
	// same plan made again from the same state (after a crash) gives the same key, and any other payload,
	// or the same payload in a later state, a different one.
	IdempotencyKey string `json:"idempotency_key"`
	// Creates is set when the system has no record of the item and the PUT makes one (an adjudication
	// that keeps an item the system had deleted).
	Creates bool `json:"creates,omitempty"`
}

// Change is one field written: Old is the value the target system held, which the write overwrites and
// the audit entry keeps; New is the value written. Values are canonical text ("" is empty).
type Change struct {
	Field Field  `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
	Cause Cause  `json:"cause"`
}

// Conflict is an item that both systems changed differently since the baseline (or that one deleted while
// the other edited). Nothing is written for it until a person settles it with Engine.Resolve.
type Conflict struct {
	// ID is the caller's identity of the conflict (the store's), the same for as long as it stays open.
	// Plan leaves it empty; Resolve requires it, for the idempotency keys of the adjudication's writes.
	ID     string          `json:"id,omitempty"`
	Key    Key             `json:"key"`
	Fields []FieldConflict `json:"fields"`
	// EDC and CTMS are each system's record, canonical; nil for a system that deleted the item.
	EDC  *Item `json:"edc"`
	CTMS *Item `json:"ctms"`
	// Baseline is the last agreed record.
	Baseline *Baseline `json:"baseline"`
	// Deleted names the system that deleted the item, for a delete-versus-edit conflict.
	Deleted System `json:"deleted,omitempty"`
	// EDCRaw and CTMSRaw are the records as each system sent them; Resolve encodes its writes from them.
	EDCRaw  json.RawMessage `json:"edc_raw,omitempty"`
	CTMSRaw json.RawMessage `json:"ctms_raw,omitempty"`
}

// FieldConflict is one field in conflict, with each side's value and the baseline's (canonical text; a
// deleted side reads "").
type FieldConflict struct {
	Field    Field  `json:"field"`
	EDC      string `json:"edc"`
	CTMS     string `json:"ctms"`
	Baseline string `json:"baseline"`
}

// Defect is why one record of an item could not be used.
type Defect struct {
	System System          `json:"system"`
	Reason string          `json:"reason"`
	Raw    json.RawMessage `json:"raw"`
}
