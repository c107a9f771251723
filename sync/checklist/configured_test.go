package checklist

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/trialsync/trialsync/sync/config"
)

// TestConfigListsAgree: package config keeps its own copies of the field and status names (it cannot
// import this package); they must be this package's, in the same order.
func TestConfigListsAgree(t *testing.T) {
	var fields []string
	for _, f := range Fields() {
		fields = append(fields, f.String())
	}
	if !slices.Equal(fields, config.ChecklistFields) {
		t.Errorf("config.ChecklistFields = %v, the merged fields are %v", config.ChecklistFields, fields)
	}
	var record []string
	rt := reflect.TypeFor[FieldNames]()
	for i := range rt.NumField() {
		record = append(record, rt.Field(i).Tag.Get("toml"))
	}
	if !slices.Equal(record, config.ChecklistRecordFields) {
		t.Errorf("config.ChecklistRecordFields = %v, FieldNames has %v", config.ChecklistRecordFields, record)
	}
	for _, name := range record {
		if new(FieldNames).byName(name) == nil {
			t.Errorf("MappingFromConfig cannot set record field %q", name)
		}
	}
	var sts []string
	for _, s := range statuses {
		sts = append(sts, string(s))
	}
	if !slices.Equal(sts, config.ChecklistStatuses) {
		t.Errorf("config.ChecklistStatuses = %v, the statuses are %v", config.ChecklistStatuses, sts)
	}
}

// TestMappingFromConfig: the table's values replace the default's, everything else stays, and the
// default itself is not changed.
func TestMappingFromConfig(t *testing.T) {
	m, err := MappingFromConfig(DefaultEDC(), config.ChecklistSystem{
		Fields:   map[string]string{"status": "state", "operator": ""},
		Statuses: map[string]string{"complete": "FINAL"},
		ItemPath: "/api/items/{site}/{code}",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultEDC()
	want.Fields.Status, want.Fields.Operator = "state", ""
	want.Statuses[Complete] = "FINAL"
	want.ItemPath = "/api/items/{site}/{code}"
	if !reflect.DeepEqual(m, want) {
		t.Errorf("got  %+v\nwant %+v", m, want)
	}
	if DefaultEDC().Statuses[Complete] != "APPROVED" {
		t.Error("the default mapping changed")
	}
	if _, err := NewAdapter(EDC, m); err != nil {
		t.Errorf("the mapping does not make an adapter: %v", err)
	}
	for _, bad := range []config.ChecklistSystem{
		{Fields: map[string]string{"signed": "x"}},
		{Statuses: map[string]string{"approved": "x"}},
	} {
		if _, err := MappingFromConfig(DefaultEDC(), bad); err == nil || !strings.Contains(err.Error(), "is not a checklist") {
			t.Errorf("MappingFromConfig(%+v) = %v, want a refusal", bad, err)
		}
	}
}

// TestFromConfig: the engine of a section applies its owners and adapters; an owner the adapters
// cannot honour is refused.
func TestFromConfig(t *testing.T) {
	e, err := FromConfig(&config.Checklist{Owners: map[string]config.Owner{"status": config.OwnerCTMS},
		CTMS: config.ChecklistSystem{Statuses: map[string]string{"in_review": "QC"}}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Owners().Of(FieldStatus) != CTMS || e.Owners().Of(FieldVersion) != EDC {
		t.Errorf("owners %v", e.Owners().Map())
	}
	r := e.Adapter(CTMS).Decode([]byte(`{"site":"101","taskCode":"A","state":"QC","modifiedUtc":"2025-01-01T00:00:00Z"}`))
	if !r.Mapped() || r.Item.Status != InReview {
		t.Errorf("decoded %+v", r)
	}
	_, err = FromConfig(&config.Checklist{Owners: map[string]config.Owner{"milestone_signed_off": config.OwnerEDC}})
	if err == nil || !strings.Contains(err.Error(), "milestone_signed_off is owned by the EDC") {
		t.Errorf("FromConfig with an owner that holds no field: %v", err)
	}
}
