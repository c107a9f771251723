package checklist

import (
	"fmt"
	"strings"
)

// Field is one of the canonical fields the merge reconciles. Site and code identify an item and are never
// merged; the source-updated time and the operator describe one system's copy and are never merged either.
type Field uint8

// The merged fields, in the order decisions list them. Their names are the keys of [checklist] owners.
const (
	FieldVersion Field = iota
	FieldStatus
	FieldEvidenceDocID
	FieldMilestoneSignedOff
	FieldPlannedActivationDate
	numFields
)

// Fields lists every merged field in order.
func Fields() []Field {
	return []Field{FieldVersion, FieldStatus, FieldEvidenceDocID, FieldMilestoneSignedOff, FieldPlannedActivationDate}
}

var fieldNames = [numFields]string{"version", "status", "evidence_doc_id", "milestone_signed_off", "planned_activation_date"}

// String is the field's canonical name, as in [checklist] owners.
func (f Field) String() string {
	if f < numFields {
		return fieldNames[f]
	}
	return fmt.Sprintf("field(%d)", uint8(f))
}

// ParseField reads a canonical field name.
func ParseField(name string) (Field, error) {
	for f, n := range fieldNames {
		if n == name {
			return Field(f), nil
		}
	}
	return 0, fmt.Errorf("%q is not a checklist field (%s)", name, strings.Join(fieldNames[:], ", "))
}

// MarshalText writes the field's name, so JSON carries "status", not a number.
func (f Field) MarshalText() ([]byte, error) {
	if f >= numFields {
		return nil, fmt.Errorf("no checklist field %d", uint8(f))
	}
	return []byte(fieldNames[f]), nil
}

// UnmarshalText reads a field's name.
func (f *Field) UnmarshalText(b []byte) error {
	v, err := ParseField(string(b))
	*f = v
	return err
}

// value is the field's canonical text in it: what the merge compares, and the old and new values a
// decision reports. "" is empty (null).
func (f Field) value(it *Item) string {
	switch f {
	case FieldVersion:
		return it.Version
	case FieldStatus:
		return string(it.Status)
	case FieldEvidenceDocID:
		return it.EvidenceDocID
	case FieldMilestoneSignedOff:
		return it.MilestoneSignedOff.text()
	case FieldPlannedActivationDate:
		return string(it.PlannedActivationDate)
	}
	panic("checklist: value of unknown field " + f.String())
}

// set stores canonical text v (as value returns it) in it.
func (f Field) set(it *Item, v string) {
	switch f {
	case FieldVersion:
		it.Version = v
	case FieldStatus:
		it.Status = Status(v)
	case FieldEvidenceDocID:
		it.EvidenceDocID = v
	case FieldMilestoneSignedOff:
		it.MilestoneSignedOff = flagOf(v)
	case FieldPlannedActivationDate:
		it.PlannedActivationDate = Date(v)
	default:
		panic("checklist: set of unknown field " + f.String())
	}
}
