package checklist

import (
	"fmt"
	"maps"
	"slices"

	"github.com/trialsync/trialsync/sync/config"
)

// Owners says which system is the source of truth of each merged field: the owner's change goes to the
// other system, and a change the other system makes alone is put back to the owner's value.
type Owners struct {
	of [numFields]System
}

// DefaultOwners is the ownership of the command-line contract's example: the EDC owns the version, the
// status and the evidence document; the CTMS owns the milestone sign-off and the planned activation date.
func DefaultOwners() Owners {
	return Owners{of: [numFields]System{
		FieldVersion:               EDC,
		FieldStatus:                EDC,
		FieldEvidenceDocID:         EDC,
		FieldMilestoneSignedOff:    CTMS,
		FieldPlannedActivationDate: CTMS,
	}}
}

// OwnersFromConfig applies a [checklist] owners table (config.Checklist.Owners) over DefaultOwners: a
// field the table leaves out keeps its default owner. A name that is not a merged field is an error, so a
// misspelt key cannot leave a field with an owner nobody chose.
func OwnersFromConfig(table map[string]config.Owner) (Owners, error) {
	o := DefaultOwners()
	for _, name := range slices.Sorted(maps.Keys(table)) {
		f, err := ParseField(name)
		if err != nil {
			return Owners{}, fmt.Errorf("checklist owners: %w", err)
		}
		s := System(table[name])
		if s != EDC && s != CTMS {
			return Owners{}, fmt.Errorf("checklist owners: %s must be %q or %q, not %q", name, EDC, CTMS, s)
		}
		o.of[f] = s
	}
	return o, nil
}

// Of is the owner of f.
func (o Owners) Of(f Field) System { return o.of[f] }

// With returns a copy of o in which s owns f (a change made from the settings screen, with its reason
// audited by the caller).
func (o Owners) With(f Field, s System) Owners {
	o.of[f] = s
	return o
}

// Map is the ownership as a [checklist] owners table would write it.
func (o Owners) Map() map[string]System {
	m := make(map[string]System, numFields)
	for f := range numFields {
		m[f.String()] = o.of[f]
	}
	return m
}
