package checklist

import "fmt"

// Adapter converts between one system's JSON records and canonical Items, as its Mapping says. It holds
// no state beyond the mapping and is safe for concurrent use.
type Adapter struct {
	sys   System
	m     Mapping
	words [4]string // the vocabulary, normalised, in the order of statuses
	names [numSlots]string
	slots map[string]int // a field's JSON key, quoted as it appears in a record, to its slot
}

// NewAdapter checks m and returns the adapter for system sys. The error names every problem of the
// mapping on one line.
func NewAdapter(sys System, m Mapping) (*Adapter, error) {
	if sys != EDC && sys != CTMS {
		return nil, fmt.Errorf("checklist system %q: must be %q or %q", sys, EDC, CTMS)
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("%s mapping: %w", sys.Label(), err)
	}
	a := &Adapter{sys: sys, m: m, slots: map[string]int{}}
	for i, s := range statuses {
		a.words[i] = normText(m.Statuses[s])
	}
	n := &m.Fields
	a.names = [numSlots]string{n.Site, n.Code, n.Version, n.Status, n.EvidenceDocID, n.MilestoneSignedOff,
		n.PlannedActivationDate, n.SourceUpdated, n.Operator}
	for slot, name := range a.names {
		if name != "" {
			a.slots[string(quote(name))] = slot
		}
	}
	return a, nil
}

// System is the system this adapter speaks for.
func (a *Adapter) System() System { return a.sys }

// Holds reports whether the system has a field for f. A field it does not hold is never written to it.
func (a *Adapter) Holds(f Field) bool { return a.m.Fields.of(f) != "" }
