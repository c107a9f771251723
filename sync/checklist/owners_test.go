package checklist

import (
	"encoding/json"
	"testing"

	"github.com/trialsync/trialsync/sync/config"
)

func TestOwnersFromConfig(t *testing.T) {
	cases := []struct {
		name  string
		table map[string]config.Owner
		want  map[string]System
		err   string
	}{
		{"absent table: defaults", nil,
			map[string]System{"version": EDC, "status": EDC, "evidence_doc_id": EDC, "milestone_signed_off": CTMS, "planned_activation_date": CTMS}, ""},
		{"the contract's example", map[string]config.Owner{"status": "edc", "evidence_doc_id": "edc", "milestone_signed_off": "ctms", "planned_activation_date": "ctms"},
			map[string]System{"version": EDC, "status": EDC, "evidence_doc_id": EDC, "milestone_signed_off": CTMS, "planned_activation_date": CTMS}, ""},
		{"overrides", map[string]config.Owner{"status": "ctms", "version": "ctms"},
			map[string]System{"version": CTMS, "status": CTMS, "evidence_doc_id": EDC, "milestone_signed_off": CTMS, "planned_activation_date": CTMS}, ""},
		{"a misspelt field", map[string]config.Owner{"stauts": "edc"}, nil,
			`checklist owners: "stauts" is not a checklist field (version, status, evidence_doc_id, milestone_signed_off, planned_activation_date)`},
		{"not a system", map[string]config.Owner{"status": "sponsor"}, nil,
			`checklist owners: status must be "edc" or "ctms", not "sponsor"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := OwnersFromConfig(c.table)
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("error %v\nwant  %s", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := o.Map()
			if len(got) != len(c.want) {
				t.Fatalf("owners %v", got)
			}
			for f, s := range c.want {
				if got[f] != s {
					t.Errorf("%s owned by %s, want %s", f, got[f], s)
				}
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	badEDC := DefaultEDC()
	badEDC.Fields.Status = ""
	cases := []struct {
		name      string
		edc, ctms Mapping
		owners    Owners
		want      string
	}{
		{"an owner without the field", DefaultEDC(), DefaultCTMS(), DefaultOwners().With(FieldMilestoneSignedOff, EDC),
			"checklist owners: milestone_signed_off is owned by the EDC, which has no field for it; make the CTMS its owner"},
		{"a field without an owner", DefaultEDC(), DefaultCTMS(), Owners{},
			`checklist owners: version has no owner ("edc" or "ctms")`},
		{"a bad mapping", badEDC, DefaultCTMS(), DefaultOwners(), "EDC mapping: the status field has no name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.edc, c.ctms, c.owners)
			if err == nil || err.Error() != c.want {
				t.Fatalf("error %v\nwant  %s", err, c.want)
			}
		})
	}
	// A field neither system holds has no one to own it and is left out of the merge.
	edc, ctms := DefaultEDC(), DefaultCTMS()
	edc.Fields.Version, ctms.Fields.Version = "", ""
	if _, err := New(edc, ctms, DefaultOwners()); err != nil {
		t.Errorf("a field neither system holds: %v", err)
	}
}

// TestStoredShapes: the item, the baseline and the conflict round-trip through JSON, as the store keeps
// them, with dates and flags as JSON null when empty.
func TestStoredShapes(t *testing.T) {
	it := Item{Site: "101", Code: "FDA-1572", Version: "V1", Status: Complete, EvidenceDocID: "DOC-1",
		MilestoneSignedOff: FlagYes, PlannedActivationDate: "2025-04-01", SourceUpdated: utc(t, "2025-03-01T10:00:00Z"), Operator: "cra.lee"}
	b, err := json.Marshal(it)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"site":"101","code":"FDA-1572","version":"V1","status":"complete","evidence_doc_id":"DOC-1",` +
		`"milestone_signed_off":true,"planned_activation_date":"2025-04-01","source_updated":"2025-03-01T10:00:00Z","operator":"cra.lee"}`
	if string(b) != want {
		t.Errorf("item JSON\n got %s\nwant %s", b, want)
	}
	base := Baseline{Item: Item{Site: "101", Code: "IRB", Status: NotStarted}, Revision: 9}
	b, _ = json.Marshal(base)
	const wantBase = `{"site":"101","code":"IRB","version":"","status":"not_started","evidence_doc_id":"",` +
		`"milestone_signed_off":null,"planned_activation_date":null,"revision":9}`
	if string(b) != wantBase {
		t.Errorf("baseline JSON\n got %s\nwant %s", b, wantBase)
	}
	var back Baseline
	if err := json.Unmarshal(b, &back); err != nil || back != base {
		t.Errorf("baseline back %+v, %v", back, err)
	}
	e := defaultEngine(t)
	edc, ctms := sides(func(edc, ctms *Item) { edc.Status, ctms.Status = Complete, Rejected })
	c := conflictOf(t, e, edc, ctms)
	b, err = json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var cb Conflict
	if err := json.Unmarshal(b, &cb); err != nil {
		t.Fatal(err)
	}
	if d, err := e.Resolve(&cb, TakeAll(&cb, EDC), "stored and read back"); err != nil || d.Outcome != OutcomeWriteCTMS {
		t.Errorf("a conflict read back from JSON settles to %s, %v", d.Outcome, err)
	}
	for _, bad := range []string{`{"planned_activation_date":"2025-13-01"}`, `{"milestone_signed_off":"yes"}`, `{"status":1,"planned_activation_date":7}`} {
		var it Item
		if err := json.Unmarshal([]byte(bad), &it); err == nil {
			t.Errorf("%s read without an error", bad)
		}
	}
}

func TestParseDate(t *testing.T) {
	cases := []struct{ in, want, err string }{
		{"2025-04-01", "2025-04-01", ""},
		{" 2025-04-01 ", "2025-04-01", ""},
		{"", "", ""},
		{"null", "", ""},
		{"2025-04-01T10:00:00+02:00", "2025-04-01", ""},
		{"2025-04-01 10:00:00Z", "2025-04-01", ""},
		{"2025-04-01T10:00:00", "2025-04-01", ""},
		{"2025-4-1", "", `"2025-4-1" is not a date (YYYY-MM-DD)`},
		{"2025-04-01X10:00:00Z", "", `"2025-04-01X10:00:00Z" is not a date (YYYY-MM-DD)`},
		{"2025-04-01T25:00:00Z", "", `"2025-04-01T25:00:00Z" is not a date (YYYY-MM-DD)`},
		{"01/04/2025", "", `"01/04/2025" is not a date (YYYY-MM-DD)`},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			d, err := ParseDate(c.in)
			if string(d) != c.want || (err == nil) != (c.err == "") || (err != nil && err.Error() != c.err) {
				t.Errorf("ParseDate = %q, %v; want %q, %s", d, err, c.want, c.err)
			}
		})
	}
}
