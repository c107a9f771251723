package checklist

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func fields(kv ...string) map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = json.RawMessage(kv[i+1])
	}
	return m
}

// TestEdits: scripted edits act as the system's users: checked values in the system's words, the
// editor and update time stamped; raw values planted verbatim as mapping defects, which a later
// checked write clears; deletes; and a script is applied all or nothing.
func TestEdits(t *testing.T) {
	now := time.Date(2025, 4, 2, 7, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	cases := []struct {
		name   string
		sys    System
		edits  []Edit
		err    error  // nil: applied
		site   string // the item to read back
		code   string
		want   []string // substrings of the item as served ("" item: deleted)
		mapped bool
	}{
		{"set by a user", EDC, []Edit{{Site: "101", Code: "PI_CV", User: "crc.mbeki", Fields: fields("status", `"RETURNED"`, "documentId", `"DOC-X"`)}}, nil,
			"101", "PI_CV", []string{`"status":"RETURNED"`, `"documentId":"DOC-X"`, `"updatedAt":"2025-04-02T07:00:00.000Z"`, `"lastEditedBy":"crc.mbeki"`}, true},
		{"default user", CTMS, []Edit{{Site: "101", Code: "PI_CV", Fields: fields("signedOff", "false")}}, nil,
			"101", "PI_CV", []string{`"signedOff":false`, `"modifiedBy":"cra.lee"`, `"modifiedUtc":"2025-04-02T07:00:00Z"`}, true},
		{"set the time", EDC, []Edit{{Site: "101", Code: "PI_CV", Fields: fields("updatedAt", `"2025-03-01T10:15:00+01:00"`)}}, nil,
			"101", "PI_CV", []string{`"updatedAt":"2025-03-01T09:15:00.000Z"`}, true},
		{"create", CTMS, []Edit{{Site: "102", Code: "NEW", Fields: fields("state", `"Pending"`)}}, nil,
			"102", "NEW", []string{`"site":"102","taskCode":"NEW","formVersion":null,"state":"Pending","documentId":null,"signedOff":false`}, true},
		{"delete", EDC, []Edit{{Op: "delete", Site: "103", Code: "PI_CV"}}, nil, "103", "PI_CV", nil, false},
		{"raw unknown status", EDC, []Edit{{Site: "101", Code: "LAB_NORMALS", Raw: true, Fields: fields("status", `"WITHDRAWN"`)}}, nil,
			"101", "LAB_NORMALS", []string{`"status":"WITHDRAWN"`}, false},
		{"raw naive timestamp", CTMS, []Edit{{Site: "101", Code: "LAB_NORMALS", Raw: true, Fields: fields("modifiedUtc", `"2025-03-01 09:15:00"`)}}, nil,
			"101", "LAB_NORMALS", []string{`"modifiedUtc":"2025-03-01 09:15:00"`}, false},
		{"raw wrong type", CTMS, []Edit{{Site: "101", Code: "LAB_NORMALS", Raw: true, Fields: fields("signedOff", `"maybe"`, "documentId", `{"id":7}`)}}, nil,
			"101", "LAB_NORMALS", []string{`"signedOff":"maybe"`, `"documentId":{"id":7}`}, false},
		{"checked unknown status", EDC, []Edit{{Site: "101", Code: "PI_CV", Fields: fields("status", `"WITHDRAWN"`)}}, ErrBadEdit, "101", "PI_CV", nil, true},
		{"checked naive time", EDC, []Edit{{Site: "101", Code: "PI_CV", Fields: fields("updatedAt", `"2025-03-01T10:15:00"`)}}, ErrBadEdit, "101", "PI_CV", nil, true},
		{"raw key", EDC, []Edit{{Site: "101", Code: "PI_CV", Raw: true, Fields: fields("siteId", `"999"`)}}, ErrBadEdit, "101", "PI_CV", nil, true},
		{"raw field not held", EDC, []Edit{{Site: "101", Code: "PI_CV", Raw: true, Fields: fields("signedOff", "true")}}, ErrBadEdit, "101", "PI_CV", nil, true},
		{"raw not JSON", EDC, []Edit{{Site: "101", Code: "PI_CV", Raw: true, Fields: fields("status", `APP`)}}, ErrBadEdit, "101", "PI_CV", nil, true},
		{"unknown op", EDC, []Edit{{Op: "archive", Site: "101", Code: "PI_CV"}}, ErrBadEdit, "101", "PI_CV", nil, true},
		{"unknown site", EDC, []Edit{{Site: "104", Code: "PI_CV", Fields: fields("status", `"DRAFT"`)}}, ErrBadEdit, "101", "PI_CV", nil, true},
		{"create without status", EDC, []Edit{{Site: "101", Code: "NEW", Fields: fields("version", `"v1"`)}}, ErrNoItem, "101", "PI_CV", nil, true},
		{"delete missing", EDC, []Edit{{Op: "delete", Site: "101", Code: "NONE"}}, ErrNoItem, "101", "PI_CV", nil, true},
		{"all or nothing", EDC, []Edit{
			{Site: "101", Code: "PI_CV", Fields: fields("status", `"RETURNED"`)},
			{Op: "delete", Site: "101", Code: "CTA_SIGNED"},
			{Op: "delete", Site: "101", Code: "CTA_SIGNED"},
		}, ErrNoItem, "101", "PI_CV", nil, true},
		{"create then delete in one script", EDC, []Edit{
			{Site: "101", Code: "TEMP", Fields: fields("status", `"DRAFT"`)},
			{Op: "delete", Site: "101", Code: "TEMP"},
		}, nil, "101", "TEMP", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, Options{System: tc.sys, Now: clock})
			before, _ := s.Item(tc.site, tc.code)
			n := s.Len()
			err := s.Edit(tc.edits...)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				if after, _ := s.Item(tc.site, tc.code); !bytes.Equal(before, after) || s.Len() != n || s.Count("edit")+s.Count("delete") != 0 {
					t.Fatalf("a refused script changed something: %s -> %s", before, after)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, ok := s.Item(tc.site, tc.code)
			if tc.want == nil {
				if ok {
					t.Fatalf("item still there: %s", got)
				}
				return
			}
			for _, w := range tc.want {
				if !bytes.Contains(got, []byte(w)) {
					t.Errorf("%s lacks %s", got, w)
				}
			}
			if !json.Valid(got) {
				t.Fatalf("not JSON: %s", got)
			}
			_, cerr := s.Canonical(tc.site, tc.code)
			if tc.mapped != (cerr == nil) || (!tc.mapped && !errors.Is(cerr, ErrUnmapped)) {
				t.Fatalf("Canonical: %v, want mapped %v", cerr, tc.mapped)
			}
		})
	}
}

// TestCheckedWriteClearsRawValue: after a raw edit planted a defect, a PUT of the field stores a
// proper value again and the item reads back canonical.
func TestCheckedWriteClearsRawValue(t *testing.T) {
	s := start(t, Options{System: EDC})
	if err := s.Edit(Edit{Site: "102", Code: "PI_CV", Raw: true, Fields: fields("status", `"WITHDRAWN"`, "updatedAt", `"2025-03-01T10:15:00"`)}); err != nil {
		t.Fatal(err)
	}
	if a := put(t, s, "102", "PI_CV", "fix", `{"status":"APPROVED","documentId":"DOC-1"}`); a.Status != 200 {
		t.Fatalf("%d %s", a.Status, a.Body)
	}
	c, err := s.Canonical("102", "PI_CV")
	if err != nil || c.Status != "complete" || c.EvidenceDocID != "DOC-1" || c.Editor != "trialsync.integration" || time.Since(c.Updated) > time.Minute {
		t.Fatalf("%+v %v", c, err)
	}
}

// TestEditsOverHTTP: POST /sim/edits, DELETE /sim/items and GET /sim/items, with their errors.
func TestEditsOverHTTP(t *testing.T) {
	s := start(t, Options{System: CTMS})
	a := call(t, s, "POST", "/sim/edits", `{"edits":[{"site":"101","code":"PI_CV","user":"cra.x","fields":{"state":"Rework"}},{"op":"delete","site":"102","code":"PI_CV"}]}`)
	if a.Status != 200 || string(bytes.TrimSpace(a.Body)) != `{"applied":2}` {
		t.Fatalf("%d %s", a.Status, a.Body)
	}
	isProblem(t, call(t, s, "POST", "/sim/edits", `{"edits":[{"site":"101","code":"PI_CV","fields":{"state":"Closed"}}]}`), 400, `edit 1 (101/PI_CV): state "Closed" is not one of`)
	isProblem(t, call(t, s, "POST", "/sim/edits", `{"edits":[{"op":"delete","site":"102","code":"PI_CV"}]}`), 404, "no such item")
	isProblem(t, call(t, s, "POST", "/sim/edits", `{"edit":[]}`), 400, "unknown field")
	if a := call(t, s, "DELETE", "/sim/items/103/PI_CV", ""); a.Status != 204 {
		t.Fatalf("delete: %d %s", a.Status, a.Body)
	}
	isProblem(t, call(t, s, "DELETE", "/sim/items/103/PI_CV", ""), 404, "no such item")
	one := call(t, s, "GET", "/sim/items?site=101&code=PI_CV", "")
	if one.Status != 200 || !bytes.Contains(one.Body, []byte(`"state":"Rework"`)) || !bytes.Contains(one.Body, []byte(`"modifiedBy":"cra.x"`)) {
		t.Fatalf("readback: %d %s", one.Status, one.Body)
	}
	isProblem(t, call(t, s, "GET", "/sim/items?site=102&code=PI_CV", ""), 404, "no item 102/PI_CV")
	var all struct{ Items []map[string]any }
	if a := call(t, s, "GET", "/sim/items", ""); a.Status != 200 || json.Unmarshal(a.Body, &all) != nil || len(all.Items) != 16 {
		t.Fatalf("all: %d, %d items", a.Status, len(all.Items))
	}
	if s.Count("edit") != 1 || s.Count("delete") != 2 {
		t.Fatalf("edits %d, deletes %d", s.Count("edit"), s.Count("delete"))
	}
	keys := s.Keys()
	if len(keys) != 16 || keys[0] != (Key{"101", "CTA_SIGNED"}) {
		t.Fatalf("keys %v", keys[:2])
	}
}
