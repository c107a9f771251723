package store

import (
	"encoding/hex"
	"fmt"
	"time"
)

// Entry is one record of the audit ledger: who did what to which object, when, why, and the links that
// chain it to the entry before it. Callers fill the descriptive fields; the ledger assigns Seq, Time
// (when zero), Prev and Hash on append.
type Entry struct {
	Seq           uint64    // position in the ledger, from 1, without gaps
	Time          time.Time // UTC
	RunID         string    // the agent run that made the change
	CorrelationID string    // ties entries of one request or page together
	Actor         string    // OS user for a person's action, "agent" for the agent's own
	Action        string    // what was done: one of the Action* names (actions.go)
	Object        string    // what was acted on, e.g. "ALPHA(Prod)/101/audit"
	Old           string    // previous value, or its hash for bulk changes
	New           string    // new value, or its hash for bulk changes
	Reason        string    // why, as given by the person or the engine
	PayloadHash   string    // hex SHA-256 of the request or page, when there is one
	Prev          [32]byte  // Hash of the entry before (zero for the first)
	Hash          [32]byte  // SHA-256 over the canonical encoding of everything above

	// Damage is set, instead of the fields above (Seq apart), when the stored bytes cannot be decoded:
	// listings show the damaged entry in its place rather than stopping there. Not stored.
	Damage string
}

// HashHex is the entry hash in hex, as shown to people and in exports.
func (e *Entry) HashHex() string { return hex.EncodeToString(e.Hash[:]) }

// ProblemKind classifies what verification found, so that the CLI and the GUI can explain it.
type ProblemKind int

// The kinds of problem Verify reports; the zero value means none.
const (
	NoProblem         ProblemKind = iota
	ContentChanged                // the entry's bytes no longer hash to its recorded hash
	LinkBroken                    // the entry's Prev is not the hash of the entry before it
	EntryMissing                  // a sequence number is absent
	OrderChanged                  // an entry sits under another entry's sequence number
	TailTruncated                 // fewer entries than the checkpoint recorded
	CheckpointInvalid             // the keyed checkpoint or an entry MAC does not verify with the key
	KeyMissing                    // the audit key is not in the keyring
	RolledBack                    // the store is behind, or diverges from, the checkpoint kept in the keyring
	Undecodable                   // the entry cannot be decoded at all
	StoreMissing                  // the store the keyring records at this path is gone (deleted or moved)
	StoreReplaced                 // the file at this path is another store than the one the keyring records there
	StoreDamaged                  // bbolt's consistency check found damaged pages (data other than the ledger may be lost)
)

var problemNames = [...]string{
	NoProblem:         "ok",
	ContentChanged:    "content changed",
	LinkBroken:        "link broken",
	EntryMissing:      "entry missing",
	OrderChanged:      "order changed",
	TailTruncated:     "tail truncated",
	CheckpointInvalid: "checkpoint mismatch",
	KeyMissing:        "key missing",
	RolledBack:        "rolled back or replaced",
	Undecodable:       "entry unreadable",
	StoreMissing:      "store missing",
	StoreReplaced:     "store replaced",
	StoreDamaged:      "store damaged",
}

// String names the kind as `audit verify` prints it ("tail truncated").
func (k ProblemKind) String() string {
	if int(k) < len(problemNames) {
		return problemNames[k]
	}
	return "unknown problem"
}

// Problem is the first bad entry verification met, and why; or, with Seq 0, what is wrong with the
// store as a whole (missing, replaced, damaged). It is also an error: Open returns a StoreMissing one
// for a read-only open where the keyring remembers a store.
type Problem struct {
	Seq    uint64      // the entry at fault (for a truncated tail: the first missing one); 0 for the whole store
	Kind   ProblemKind // what is wrong
	Detail string      // one line for a person
}

// Error is the contract's `audit verify` line: "broken at entry N: kind (detail)", or "kind (detail)"
// for the store as a whole.
func (p *Problem) Error() string {
	if p.Seq == 0 {
		return fmt.Sprintf("%s (%s)", p.Kind, p.Detail)
	}
	return fmt.Sprintf("broken at entry %d: %s (%s)", p.Seq, p.Kind, p.Detail)
}

// Report is the outcome of verifying the ledger and the file that holds it.
type Report struct {
	Entries uint64   // entries walked
	Tip     [32]byte // hash of the last good entry
	Problem *Problem // nil when the whole ledger verified and the file is consistent
	// Damage lists the first problems bbolt's consistency check found (DamageCount in all); a damaged
	// file is a StoreDamaged Problem when the ledger itself verified.
	Damage      []string
	DamageCount int
}

// OK reports whether the ledger verified end to end and the file is consistent.
func (r Report) OK() bool { return r.Problem == nil }

// TipHex is the tip hash in hex.
func (r Report) TipHex() string { return hex.EncodeToString(r.Tip[:]) }
