package config

import (
	"path/filepath"
	"reflect"
	"testing"
)

// TestLoadChecklistAdapters: [checklist.edc] and [checklist.ctms] keep exactly what the file writes
// (the defaults are package checklist's), and page_size is read.
func TestLoadChecklistAdapters(t *testing.T) {
	got, err := Load("testdata/checklist_adapters.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := &Checklist{
		StudyID: "ALPHA", EDCURL: "https://edc.example.org", CTMSURL: "https://ctms.example.org",
		Owners:   map[string]Owner{"status": OwnerEDC, "planned_activation_date": OwnerCTMS},
		PageSize: 250, ReconcileEvery: DefaultReconcileEvery,
		EDC: ChecklistSystem{
			Fields:   map[string]string{"status": "state", "operator": ""},
			Statuses: map[string]string{"complete": "FINAL"},
			ListPath: "/api/v2/items", ItemPath: "/api/v2/items/{site}/{code}",
		},
		CTMS: ChecklistSystem{Statuses: map[string]string{"in_review": "QC"}},
	}
	if !reflect.DeepEqual(got.Checklist, want) {
		t.Errorf("got  %+v\nwant %+v", got.Checklist, want)
	}
	full, err := Load("testdata/full.toml")
	if err != nil {
		t.Fatal(err)
	}
	if full.Checklist.PageSize != DefaultChecklistPageSize || !reflect.DeepEqual(full.Checklist.EDC, ChecklistSystem{}) {
		t.Errorf("without the keys: page size %d, EDC %+v; want the defaults", full.Checklist.PageSize, full.Checklist.EDC)
	}
}

// TestLoadChecklistErrors: each mistake in the checklist tables is one line naming the file, the line
// and the key.
func TestLoadChecklistErrors(t *testing.T) {
	tests := []struct {
		file string
		line int
		want string
	}{
		{"checklist_owner_field.toml", 5, `checklist.owners: "signed_off" is not a checklist field (version, status, evidence_doc_id, milestone_signed_off, planned_activation_date)`},
		{"checklist_field_name.toml", 7, `checklist.edc.fields: "documentID" is not a checklist record field (site, code, version, status, evidence_doc_id, milestone_signed_off, planned_activation_date, source_updated, operator)`},
		{"checklist_required_field.toml", 7, `checklist.ctms.fields.site is empty, but every system has a site field`},
		{"checklist_same_key.toml", 8, `checklist.ctms.fields.version and checklist.ctms.fields.status are both "state"`},
		{"checklist_status.toml", 7, `checklist.edc.statuses: "approved" is not a checklist status (not_started, in_review, complete, rejected)`},
		{"checklist_same_word.toml", 10, `checklist.ctms.statuses.rejected and checklist.ctms.statuses.complete are both "done"`},
		{"checklist_item_path.toml", 7, `checklist.edc.item_path must be a path starting with / that holds {site} and {code}`},
		{"checklist_page_size.toml", 5, `checklist.page_size must be at least 1, not 0`},
		{"checklist_unknown_key.toml", 7, `unknown key "checklist.ctms.endpoint"`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			_, err := Load(path)
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("Load: %v (%T), want a *config.Error", err, err)
			}
			if e.File != path || e.Line != tt.line || e.Reason != tt.want {
				t.Errorf("got  %s\nwant %s:%d: %s", e, path, tt.line, tt.want)
			}
		})
	}
}
