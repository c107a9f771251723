package config

import (
	"maps"
	"slices"
	"strings"
)

// DefaultChecklistPageSize is the listing page size when [checklist] page_size is absent: the largest
// page the default systems serve.
const DefaultChecklistPageSize = 1000

// ChecklistSystem is what a [checklist.edc] or [checklist.ctms] table changes in that system's default
// adapter. Only what the file writes is here; package checklist lays it over the system's default
// (checklist.MappingFromConfig), so a site whose CTMS only calls its status "stage" writes one line.
type ChecklistSystem struct {
	// Fields maps a record field (ChecklistRecordFields) to the system's JSON key for it. An empty key
	// says the system does not hold that field: it is read from the other system and never written.
	Fields map[string]string
	// Statuses maps a canonical status (ChecklistStatuses) to the system's word for it.
	Statuses map[string]string
	// ListPath and ItemPath replace the default endpoints ("" keeps them); ItemPath holds {site} and
	// {code}.
	ListPath, ItemPath string
}

// ChecklistFields are the merged checklist fields, the keys [checklist] owners accepts. Package
// checklist has the same list (checklist.Fields); a test there keeps the two equal, since this package
// cannot import that one.
var ChecklistFields = []string{"version", "status", "evidence_doc_id", "milestone_signed_off", "planned_activation_date"}

// ChecklistRecordFields are the keys of a [checklist.edc.fields] or [checklist.ctms.fields] table:
// every field an adapter reads, in checklist.FieldNames order.
var ChecklistRecordFields = []string{"site", "code", "version", "status", "evidence_doc_id", "milestone_signed_off",
	"planned_activation_date", "source_updated", "operator"}

// requiredRecordFields are the record fields every system must hold.
var requiredRecordFields = []string{"site", "code", "status", "source_updated"}

// ChecklistStatuses are the canonical statuses, the keys of a statuses table.
var ChecklistStatuses = []string{"not_started", "in_review", "complete", "rejected"}

// checklistAdapters checks [checklist] page_size, the owners' field names and the [checklist.edc] and
// [checklist.ctms] tables, and fills c from them.
func (v *validator) checklistAdapters(f *fileChecklist, c *Checklist) {
	for _, field := range slices.Sorted(maps.Keys(f.Owners)) {
		if field != "" && !slices.Contains(ChecklistFields, field) {
			v.addf("checklist.owners."+field, "checklist.owners: %q is not a checklist field (%s)", field, strings.Join(ChecklistFields, ", "))
		}
	}
	c.PageSize = DefaultChecklistPageSize
	if v.idx.has("checklist.page_size") {
		c.PageSize = f.PageSize
		if f.PageSize < 1 {
			v.addf("checklist.page_size", "checklist.page_size must be at least 1, not %d", f.PageSize)
		}
	}
	c.ReconcileEvery = v.every("checklist.reconcile_every", f.ReconcileEvery, `"15m" or "1h"`, MinReconcileEvery, DefaultReconcileEvery)
	if f.EDC != nil {
		c.EDC = v.checklistSystem("checklist.edc", f.EDC)
	}
	if f.CTMS != nil {
		c.CTMS = v.checklistSystem("checklist.ctms", f.CTMS)
	}
}

// checklistSystem checks one system's table: known field and status names, the required fields kept,
// no JSON key or word used twice, endpoints that are paths.
func (v *validator) checklistSystem(path string, f *fileChecklistSystem) ChecklistSystem {
	s := ChecklistSystem{Fields: f.Fields, Statuses: f.Statuses, ListPath: f.ListPath, ItemPath: f.ItemPath}
	keys := map[string]string{}
	for _, field := range slices.Sorted(maps.Keys(f.Fields)) {
		name, p := f.Fields[field], path+".fields."+field
		switch {
		case !slices.Contains(ChecklistRecordFields, field):
			v.addf(p, "%s: %q is not a checklist record field (%s)", path+".fields", field, strings.Join(ChecklistRecordFields, ", "))
		case name == "" && slices.Contains(requiredRecordFields, field):
			v.addf(p, "%s is empty, but every system has a %s field", p, field)
		case name != "" && keys[name] != "":
			v.addf(p, "%s and %s.fields.%s are both %q", p, path, keys[name], name)
		case name != "":
			keys[name] = field
		}
	}
	words := map[string]string{}
	for _, status := range slices.Sorted(maps.Keys(f.Statuses)) {
		word, p := strings.TrimSpace(f.Statuses[status]), path+".statuses."+status
		folded := strings.ToLower(strings.Join(strings.Fields(word), " "))
		switch {
		case !slices.Contains(ChecklistStatuses, status):
			v.addf(p, "%s: %q is not a checklist status (%s)", path+".statuses", status, strings.Join(ChecklistStatuses, ", "))
		case word == "":
			v.addf(p, "%s is empty", p)
		case words[folded] != "":
			v.addf(p, "%s and %s.statuses.%s are both %q", p, path, words[folded], word)
		default:
			words[folded] = status
		}
	}
	if v.idx.has(path+".list_path") && !strings.HasPrefix(f.ListPath, "/") {
		v.addf(path+".list_path", "%s.list_path must be a path starting with /", path)
	}
	if v.idx.has(path + ".item_path") {
		if !strings.HasPrefix(f.ItemPath, "/") || !strings.Contains(f.ItemPath, "{site}") || !strings.Contains(f.ItemPath, "{code}") {
			v.addf(path+".item_path", "%s.item_path must be a path starting with / that holds {site} and {code}", path)
		}
	}
	return s
}
