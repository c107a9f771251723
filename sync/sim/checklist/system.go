package checklist

import (
	"fmt"
	"slices"
	"time"
)

// System names one of the two simulated checklist systems.
type System string

// The two systems.
const (
	EDC  System = "edc"
	CTMS System = "ctms"
)

// Label is the system's name as its users say it.
func (s System) Label() string {
	if s == CTMS {
		return "CTMS"
	}
	return "EDC"
}

// field is one of the canonical slots an item has; each system names the ones it holds.
type field int

const (
	fSite field = iota
	fCode
	fVersion
	fStatus
	fDocument
	fSignedOff
	fPlanned
	fUpdated
	fEditor
	numFields
)

// schema is one system's wire form: its field names (in the order it writes them; "" for a slot it
// does not hold), its status vocabulary in canonical order, and how it writes its update time.
type schema struct {
	sys        System
	names      [numFields]string
	words      [4]string
	timeLayout string
	editors    []string // who edits seeded items
}

var schemas = map[System]*schema{
	EDC: {
		sys: EDC,
		names: [numFields]string{fSite: "siteId", fCode: "code", fVersion: "version", fStatus: "status", fDocument: "documentId",
			fPlanned: "plannedActivation", fUpdated: "updatedAt", fEditor: "lastEditedBy"},
		words:      [4]string{"DRAFT", "SUBMITTED", "APPROVED", "RETURNED"},
		timeLayout: "2006-01-02T15:04:05.000Z07:00",
		editors:    []string{"crc.jones", "crc.nakamura", "inv.okafor"},
	},
	CTMS: {
		sys: CTMS,
		names: [numFields]string{fSite: "site", fCode: "taskCode", fVersion: "formVersion", fStatus: "state", fDocument: "documentId",
			fSignedOff: "signedOff", fPlanned: "plannedActivation", fUpdated: "modifiedUtc", fEditor: "modifiedBy"},
		words:      [4]string{"Pending", "Pending QC", "Verified", "Rework"},
		timeLayout: time.RFC3339,
		editors:    []string{"cra.lee", "cra.dubois", "ctm.mensah"},
	},
}

// canonicalStatuses are the canonical statuses in the order of every vocabulary.
var canonicalStatuses = [4]string{"not_started", "in_review", "complete", "rejected"}

// fieldOf returns the slot a system's field name stands for.
func (sc *schema) fieldOf(name string) (field, bool) {
	for f, n := range sc.names {
		if n != "" && n == name {
			return field(f), true
		}
	}
	return 0, false
}

// word is the system's status word for a canonical status.
func (sc *schema) word(canonical string) (string, error) {
	i := slices.Index(canonicalStatuses[:], canonical)
	if i < 0 {
		return "", fmt.Errorf("%q is not a checklist status", canonical)
	}
	return sc.words[i], nil
}

// canonical is the canonical status of one of the system's words ("" when it is not one).
func (sc *schema) canonical(word string) string {
	if i := slices.Index(sc.words[:], word); i >= 0 {
		return canonicalStatuses[i]
	}
	return ""
}

// fieldList names the system's fields, for messages.
func (sc *schema) fieldList() string {
	var s string
	for _, n := range sc.names {
		if n == "" {
			continue
		}
		if s != "" {
			s += ", "
		}
		s += n
	}
	return s
}
