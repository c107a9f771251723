package checklist

import (
	"encoding/json"
	"strings"
)

// Record is one raw record of a system with its canonical reading. A record that could not be read is
// unmapped: Defect says why, Raw keeps it exactly as received, and Item holds only what could be read (at
// least Site and Code when the record has them, so it still lines up with the other system).
type Record struct {
	System System          `json:"system"`
	Item   Item            `json:"item"`
	Raw    json.RawMessage `json:"raw"`
	Defect string          `json:"defect,omitempty"`
	// SourceSite and SourceCode are the system's own spelling of the item's key: its PUT path uses them.
	SourceSite string `json:"source_site,omitempty"`
	SourceCode string `json:"source_code,omitempty"`
	// spelling keeps the system's own case of a code-like value (a version, a document ID) where it is not
	// the canonical upper case: codes compare ignoring case, but a write carries the owner's spelling.
	spelling *[numFields]string
}

// code normalises a code-like value of field f, remembering the system's spelling when it differs.
func (r *Record) code(f Field, s string) string {
	s = normText(s)
	c := strings.ToUpper(s)
	if c != s {
		if r.spelling == nil {
			r.spelling = new([numFields]string)
		}
		r.spelling[f] = s
	}
	return c
}

// spelt is the record's own spelling of canonical value v of field f (v itself when it has none).
func (r *Record) spelt(f Field, v string) string {
	if r != nil && r.spelling != nil && r.spelling[f] != "" && strings.ToUpper(r.spelling[f]) == v {
		return r.spelling[f]
	}
	return v
}

// Key is the record's item key (empty when the record has no readable site or code).
func (r *Record) Key() Key { return r.Item.Key() }

// Mapped reports whether the record was read without a defect.
func (r *Record) Mapped() bool { return r.Defect == "" }
