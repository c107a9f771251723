package checklist

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Mapping configures one system's adapter: what its JSON fields are called, which words its status
// vocabulary uses, and where its endpoints are. A system that does not hold a merged field leaves that
// field's name empty; the field is then read from the other system only and never written to this one.
type Mapping struct {
	Fields FieldNames `json:"fields" toml:"fields"`
	// Statuses maps every canonical status to the system's word for it. Decoding matches the words
	// ignoring case and extra white space; encoding writes them as given here, trimmed.
	Statuses map[Status]string `json:"statuses" toml:"statuses"`
	// ListPath is the paged listing, e.g. "/v1/checklist-items".
	ListPath string `json:"list_path" toml:"list_path"`
	// ItemPath is the PUT target of one item, with {site} and {code} placeholders.
	ItemPath string `json:"item_path" toml:"item_path"`
}

// FieldNames are a system's JSON keys for the canonical fields. Site, Code, Status and SourceUpdated are
// required; an empty name means the system does not hold that field.
type FieldNames struct {
	Site                  string `json:"site" toml:"site"`
	Code                  string `json:"code" toml:"code"`
	Version               string `json:"version" toml:"version"`
	Status                string `json:"status" toml:"status"`
	EvidenceDocID         string `json:"evidence_doc_id" toml:"evidence_doc_id"`
	MilestoneSignedOff    string `json:"milestone_signed_off" toml:"milestone_signed_off"`
	PlannedActivationDate string `json:"planned_activation_date" toml:"planned_activation_date"`
	SourceUpdated         string `json:"source_updated" toml:"source_updated"`
	Operator              string `json:"operator" toml:"operator"`
}

// of is the JSON key of a merged field ("" when the system does not hold it).
func (n *FieldNames) of(f Field) string {
	switch f {
	case FieldVersion:
		return n.Version
	case FieldStatus:
		return n.Status
	case FieldEvidenceDocID:
		return n.EvidenceDocID
	case FieldMilestoneSignedOff:
		return n.MilestoneSignedOff
	case FieldPlannedActivationDate:
		return n.PlannedActivationDate
	}
	return ""
}

// The endpoints both default systems serve (CONTRACT.md, "Checklist systems").
const (
	DefaultListPath = "/v1/checklist-items"
	DefaultItemPath = "/v1/checklist-items/{site}/{code}"
)

// DefaultEDC is the EDC of the command-line contract: siteId, code, version, status
// (DRAFT|SUBMITTED|APPROVED|RETURNED), documentId, plannedActivation, updatedAt, lastEditedBy.
func DefaultEDC() Mapping {
	return Mapping{
		Fields: FieldNames{
			Site: "siteId", Code: "code", Version: "version", Status: "status", EvidenceDocID: "documentId",
			PlannedActivationDate: "plannedActivation", SourceUpdated: "updatedAt", Operator: "lastEditedBy",
		},
		Statuses: map[Status]string{NotStarted: "DRAFT", InReview: "SUBMITTED", Complete: "APPROVED", Rejected: "RETURNED"},
		ListPath: DefaultListPath,
		ItemPath: DefaultItemPath,
	}
}

// DefaultCTMS is the CTMS of the command-line contract: site, taskCode, formVersion, state
// (Pending|Pending QC|Verified|Rework), documentId, signedOff, plannedActivation, modifiedUtc, modifiedBy.
func DefaultCTMS() Mapping {
	return Mapping{
		Fields: FieldNames{
			Site: "site", Code: "taskCode", Version: "formVersion", Status: "state", EvidenceDocID: "documentId",
			MilestoneSignedOff: "signedOff", PlannedActivationDate: "plannedActivation",
			SourceUpdated: "modifiedUtc", Operator: "modifiedBy",
		},
		Statuses: map[Status]string{NotStarted: "Pending", InReview: "Pending QC", Complete: "Verified", Rejected: "Rework"},
		ListPath: DefaultListPath,
		ItemPath: DefaultItemPath,
	}
}

// validate reports every problem of the mapping, on one line.
func (m *Mapping) validate() error {
	var errs []error
	n := &m.Fields
	names := []struct{ what, name string }{
		{"site", n.Site}, {"code", n.Code}, {"version", n.Version}, {"status", n.Status},
		{"evidence_doc_id", n.EvidenceDocID}, {"milestone_signed_off", n.MilestoneSignedOff},
		{"planned_activation_date", n.PlannedActivationDate}, {"source_updated", n.SourceUpdated},
		{"operator", n.Operator},
	}
	seen := map[string]string{}
	for i, f := range names {
		required := i == 0 || i == 1 || i == 3 || i == 7
		switch {
		case f.name == "" && required:
			errs = append(errs, fmt.Errorf("the %s field has no name", f.what))
		case f.name == "":
		case seen[f.name] != "":
			errs = append(errs, fmt.Errorf("fields %s and %s are both called %q", seen[f.name], f.what, f.name))
		default:
			seen[f.name] = f.what
		}
	}
	words := map[string]Status{}
	for _, s := range statuses {
		w := normText(m.Statuses[s])
		key := strings.ToLower(w)
		switch {
		case w == "":
			errs = append(errs, fmt.Errorf("status %s has no word in the vocabulary", s))
		case words[key] != "":
			errs = append(errs, fmt.Errorf("statuses %s and %s are both %q", words[key], s, w))
		default:
			words[key] = s
		}
	}
	for _, s := range slices.Sorted(maps.Keys(m.Statuses)) {
		if !isStatus(s) {
			errs = append(errs, fmt.Errorf("%q is not a checklist status (not_started, in_review, complete, rejected)", s))
		}
	}
	if !strings.HasPrefix(m.ListPath, "/") {
		errs = append(errs, fmt.Errorf("the list path %q does not start with /", m.ListPath))
	}
	if !strings.HasPrefix(m.ItemPath, "/") || !strings.Contains(m.ItemPath, "{site}") || !strings.Contains(m.ItemPath, "{code}") {
		errs = append(errs, fmt.Errorf("the item path %q must start with / and hold {site} and {code}", m.ItemPath))
	}
	return oneLine(errs)
}

// oneLine joins problems into one error on one line ("a; b"), nil when there are none.
func oneLine(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return errors.New(strings.Join(msgs, "; "))
}

func isStatus(s Status) bool {
	for _, c := range statuses {
		if c == s {
			return true
		}
	}
	return false
}
