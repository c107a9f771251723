package checklist

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Engine reconciles one EDC with one CTMS: the two adapters and the ownership of every field. It holds no
// state between calls and is safe for concurrent use.
type Engine struct {
	ad     [2]*Adapter
	owners Owners
	owner  [numFields]int     // the owner's side index, per field
	holds  [2][numFields]bool // whether each side has the field
}

// New builds the engine from each system's mapping and the owners. A field must be owned by a system that
// holds it (when either does): a field only the CTMS holds cannot be owned by the EDC.
func New(edc, ctms Mapping, owners Owners) (*Engine, error) {
	e := &Engine{owners: owners}
	var err error
	if e.ad[0], err = NewAdapter(EDC, edc); err != nil {
		return nil, err
	}
	if e.ad[1], err = NewAdapter(CTMS, ctms); err != nil {
		return nil, err
	}
	for f := range numFields {
		o := owners.Of(f)
		if o != EDC && o != CTMS {
			return nil, fmt.Errorf("checklist owners: %s has no owner (%q or %q)", f, EDC, CTMS)
		}
		e.owner[f] = o.side()
		for s := range 2 {
			e.holds[s][f] = e.ad[s].Holds(f)
		}
		other := systems[1-o.side()]
		if !e.holds[o.side()][f] && e.holds[1-o.side()][f] {
			return nil, fmt.Errorf("checklist owners: %s is owned by the %s, which has no field for it; make the %s its owner",
				f, o.Label(), other.Label())
		}
	}
	return e, nil
}

// Adapter is the adapter of system s.
func (e *Engine) Adapter(s System) *Adapter { return e.ad[s.side()] }

// Owners is the ownership the engine applies.
func (e *Engine) Owners() Owners { return e.owners }

// idempotencyKey is the Idempotency-Key of a PUT of body to path on system sys: a hash of the payload, so
// a write made again from the same state carries the same key (the system applies it once), and a
// different payload never reuses a key (which the system would refuse with 422). basis names the state the
// write was decided in — the baseline's revision, and for an adjudication the conflict's ID — so that a
// write that repeats an earlier payload in a later state (a value set, undone and set again over a record
// that reads the same) is a new write, not a replay.
func idempotencyKey(sys System, path string, body []byte, basis string) string {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(sys), []byte(path), []byte(basis)} {
		h.Write(part)
		h.Write([]byte{0})
	}
	h.Write(body)
	var sum [sha256.Size]byte
	return "ck1-" + hex.EncodeToString(h.Sum(sum[:0])[:16])
}
