package checklist

import (
	"fmt"

	"github.com/trialsync/trialsync/sync/config"
)

// MappingFromConfig lays what a [checklist.edc] or [checklist.ctms] table writes over def, the system's
// default mapping (DefaultEDC, DefaultCTMS): a field name, a status word or an endpoint the table leaves
// out keeps its default, and a field name written empty says the system does not hold that field. The
// result is checked when the engine is built (New).
func MappingFromConfig(def Mapping, c config.ChecklistSystem) (Mapping, error) {
	m := def
	m.Statuses = make(map[Status]string, len(def.Statuses))
	for s, w := range def.Statuses {
		m.Statuses[s] = w
	}
	for name, key := range c.Fields {
		p := m.Fields.byName(name)
		if p == nil {
			return Mapping{}, fmt.Errorf("%q is not a checklist record field", name)
		}
		*p = key
	}
	for s, w := range c.Statuses {
		if !isStatus(Status(s)) {
			return Mapping{}, fmt.Errorf("%q is not a checklist status", s)
		}
		m.Statuses[Status(s)] = w
	}
	if c.ListPath != "" {
		m.ListPath = c.ListPath
	}
	if c.ItemPath != "" {
		m.ItemPath = c.ItemPath
	}
	return m, nil
}

// byName is the field name of a record field by its configuration key (config.ChecklistRecordFields),
// nil for an unknown key.
func (n *FieldNames) byName(name string) *string {
	switch name {
	case "site":
		return &n.Site
	case "code":
		return &n.Code
	case "version":
		return &n.Version
	case "status":
		return &n.Status
	case "evidence_doc_id":
		return &n.EvidenceDocID
	case "milestone_signed_off":
		return &n.MilestoneSignedOff
	case "planned_activation_date":
		return &n.PlannedActivationDate
	case "source_updated":
		return &n.SourceUpdated
	case "operator":
		return &n.Operator
	}
	return nil
}

// FromConfig builds the engine of a [checklist] section: each system's adapter over its default, and
// the owners over DefaultOwners.
func FromConfig(c *config.Checklist) (*Engine, error) {
	edc, err := MappingFromConfig(DefaultEDC(), c.EDC)
	if err != nil {
		return nil, fmt.Errorf("[checklist.edc]: %w", err)
	}
	ctms, err := MappingFromConfig(DefaultCTMS(), c.CTMS)
	if err != nil {
		return nil, fmt.Errorf("[checklist.ctms]: %w", err)
	}
	owners, err := OwnersFromConfig(c.Owners)
	if err != nil {
		return nil, err
	}
	return New(edc, ctms, owners)
}
