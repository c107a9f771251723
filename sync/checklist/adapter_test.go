package checklist

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	edc := mustAdapter(t, EDC, DefaultEDC())
	ctms := mustAdapter(t, CTMS, DefaultCTMS())
	cases := []struct {
		file       string
		ad         *Adapter
		want       Item
		site, code string // the system's own spelling
		defect     string
	}{
		{file: "edc/approved.json", ad: edc, site: "101", code: "FDA-1572", want: Item{
			Site: "101", Code: "FDA-1572", Version: "V2", Status: Complete, EvidenceDocID: "DOC-1572-101",
			PlannedActivationDate: "2025-04-01", SourceUpdated: utc(t, "2025-03-01T09:15:00Z"), Operator: "crc.jones"}},
		{file: "edc/messy.json", ad: edc, site: " 102 ", code: "  fda-1572 ", want: Item{
			Site: "102", Code: "FDA-1572", Version: "V2", Status: InReview,
			PlannedActivationDate: "2025-04-01", SourceUpdated: utc(t, "2025-03-02T08:00:00.123456Z"), Operator: "crc smith"}},
		{file: "edc/unknown_status.json", ad: edc, site: "101", code: "LAB-CERT",
			want:   Item{Site: "101", Code: "LAB-CERT", Version: "V1", SourceUpdated: utc(t, "2025-03-01T10:15:00Z"), Operator: "crc.jones"},
			defect: `status "WITHDRAWN" is not in the EDC vocabulary (DRAFT, SUBMITTED, APPROVED, RETURNED)`},
		{file: "edc/naive_time.json", ad: edc, site: "101", code: "TRAINING",
			want:   Item{Site: "101", Code: "TRAINING", Version: "V1", Status: NotStarted, Operator: "crc.jones"},
			defect: `updatedAt "2025-03-01T10:15:00" has no time zone`},
		{file: "edc/no_site.json", ad: edc, code: "TRAINING",
			want:   Item{Code: "TRAINING", Version: "V1", Status: NotStarted, SourceUpdated: utc(t, "2025-03-01T10:15:00Z")},
			defect: "siteId is missing"},
		{file: "edc/not_object.json", ad: edc, defect: "the record is not a JSON object"},
		{file: "ctms/verified.json", ad: ctms, site: "101", code: "FDA-1572", want: Item{
			Site: "101", Code: "FDA-1572", Version: "V2", Status: Complete, EvidenceDocID: "DOC-1572-101",
			MilestoneSignedOff: FlagYes, PlannedActivationDate: "2025-04-01", SourceUpdated: utc(t, "2025-03-01T09:15:00Z"), Operator: "cra.lee"}},
		{file: "ctms/messy.json", ad: ctms, site: "102", code: "FDA-1572", want: Item{
			Site: "102", Code: "FDA-1572", Version: "V2", Status: InReview, MilestoneSignedOff: FlagNo,
			SourceUpdated: utc(t, "2025-03-02T09:00:00Z"), Operator: "cra.lee"}},
		{file: "ctms/unknown_state.json", ad: ctms, site: "101", code: "LAB-CERT",
			want:   Item{Site: "101", Code: "LAB-CERT", Version: "V1", MilestoneSignedOff: FlagNo, SourceUpdated: utc(t, "2025-03-01T09:15:00Z"), Operator: "cra.lee"},
			defect: `state "Cancelled" is not in the CTMS vocabulary (Pending, Pending QC, Verified, Rework)`},
		{file: "ctms/naive_time.json", ad: ctms, site: "101", code: "TRAINING",
			want:   Item{Site: "101", Code: "TRAINING", Version: "V1", Status: NotStarted, MilestoneSignedOff: FlagNo, Operator: "cra.lee"},
			defect: `modifiedUtc "2025-03-01 09:15:00" has no time zone`},
		{file: "ctms/bad_values.json", ad: ctms, site: "101", code: "IRB",
			want: Item{Site: "101", Code: "IRB", Version: "V1", Status: Rejected, SourceUpdated: utc(t, "2025-03-01T09:15:00Z"), Operator: "cra.lee"},
			defect: `documentId {"id":7} is not text; signedOff "maybe" is not true or false; ` +
				`plannedActivation "03/01/2025" is not a date (YYYY-MM-DD)`},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			raw := fixture(t, c.file)
			r := c.ad.Decode(raw)
			if r.Defect != c.defect {
				t.Errorf("defect\n got %q\nwant %q", r.Defect, c.defect)
			}
			if r.Mapped() != (c.defect == "") {
				t.Errorf("Mapped() = %v with defect %q", r.Mapped(), r.Defect)
			}
			if r.Item != c.want {
				t.Errorf("item\n got %+v\nwant %+v", r.Item, c.want)
			}
			if r.SourceSite != c.site || r.SourceCode != c.code {
				t.Errorf("source key %q/%q, want %q/%q", r.SourceSite, r.SourceCode, c.site, c.code)
			}
			if !bytes.Equal(r.Raw, raw) || r.System != c.ad.System() {
				t.Errorf("the record does not keep its raw bytes and system")
			}
		})
	}
}

// TestDecodeValues covers the normalisation of each field type, one value at a time.
func TestDecodeValues(t *testing.T) {
	ctms := mustAdapter(t, CTMS, DefaultCTMS())
	base := `"site":"1","taskCode":"C","state":"Pending","modifiedUtc":"2025-01-01T00:00:00Z"`
	cases := []struct {
		name, fields string
		check        func(Item) bool
		defect       string
	}{
		{"status case and spaces", `"state":"  PENDING   qc "`, func(it Item) bool { return it.Status == InReview }, ""},
		{"null document is empty", `"documentId":null`, func(it Item) bool { return it.EvidenceDocID == "" }, ""},
		{"absent document is empty", ``, func(it Item) bool { return it.EvidenceDocID == "" }, ""},
		{"numeric document taken as written", `"documentId":1572`, func(it Item) bool { return it.EvidenceDocID == "1572" }, ""},
		{"document case and white space", `"documentId":" doc\t 7 "`, func(it Item) bool { return it.EvidenceDocID == "DOC 7" }, ""},
		{"escaped document", `"documentId":"doc\u002d7"`, func(it Item) bool { return it.EvidenceDocID == "DOC-7" }, ""},
		{"signed off as text", `"signedOff":"Yes"`, func(it Item) bool { return it.MilestoneSignedOff == FlagYes }, ""},
		{"signed off empty text", `"signedOff":""`, func(it Item) bool { return it.MilestoneSignedOff == FlagNo }, ""},
		{"signed off absent", ``, func(it Item) bool { return it.MilestoneSignedOff == FlagNo }, ""},
		{"signed off a number", `"signedOff":1`, nil, "signedOff 1 is not true or false"},
		{"date with zone keeps the written day", `"plannedActivation":"2025-04-01T23:30:00-05:00"`,
			func(it Item) bool { return it.PlannedActivationDate == "2025-04-01" }, ""},
		{"date with a naive time", `"plannedActivation":"2025-04-01T00:00:00"`,
			func(it Item) bool { return it.PlannedActivationDate == "2025-04-01" }, ""},
		{"date that does not exist", `"plannedActivation":"2025-02-30"`, nil, `plannedActivation "2025-02-30" is not a date (YYYY-MM-DD)`},
		{"date with junk after it", `"plannedActivation":"2025-04-01x"`, nil, `plannedActivation "2025-04-01x" is not a date (YYYY-MM-DD)`},
		{"update time with offset is UTC", `"modifiedUtc":"2025-01-01T02:00:00+02:00"`,
			func(it Item) bool {
				return it.SourceUpdated.Equal(utc(t, "2025-01-01T00:00:00Z")) && it.SourceUpdated.Location().String() == "UTC"
			}, ""},
		{"update time not a time", `"modifiedUtc":"yesterday"`, nil, `modifiedUtc "yesterday" is not an RFC 3339 time`},
		{"update time empty", `"modifiedUtc":""`, nil, "modifiedUtc is empty"},
		{"status empty", `"state":" "`, nil, "state is empty"},
		{"status not text", `"state":true`, nil, "state true is not text"},
		{"site null", `"site":null`, nil, "site is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fields := base
			if c.fields != "" {
				fields += "," + c.fields
			}
			// Later keys win in encoding/json, so a case overrides the base's value of a field.
			r := ctms.Decode(json.RawMessage("{" + fields + "}"))
			if r.Defect != c.defect {
				t.Fatalf("defect %q, want %q", r.Defect, c.defect)
			}
			if c.check != nil && !c.check(r.Item) {
				t.Errorf("decoded %+v", r.Item)
			}
		})
	}
}

// TestConfiguredAdapter shows that a system is described by its mapping, not by code: another system's
// names and words read into the same canonical item.
func TestConfiguredAdapter(t *testing.T) {
	m := Mapping{
		Fields:   FieldNames{Site: "loc", Code: "item", Status: "stage", PlannedActivationDate: "goLive", SourceUpdated: "ts"},
		Statuses: map[Status]string{NotStarted: "todo", InReview: "review", Complete: "done", Rejected: "bounced"},
		ListPath: "/api/items", ItemPath: "/api/sites/{site}/items/{code}",
	}
	a := mustAdapter(t, CTMS, m)
	r := a.Decode(json.RawMessage(`{"loc":"7","item":"x1","stage":"Bounced","goLive":"2026-01-02","ts":"2025-01-01T00:00:00Z","stage_note":"kept"}`))
	want := Item{Site: "7", Code: "X1", Status: Rejected, PlannedActivationDate: "2026-01-02", SourceUpdated: utc(t, "2025-01-01T00:00:00Z")}
	if r.Defect != "" || r.Item != want {
		t.Fatalf("decoded %+v (%q), want %+v", r.Item, r.Defect, want)
	}
	if a.Holds(FieldEvidenceDocID) || !a.Holds(FieldPlannedActivationDate) {
		t.Error("Holds does not follow the mapping")
	}
	if got := a.ItemPath("7 a", "x/1"); got != "/api/sites/7%20a/items/x%2F1" {
		t.Errorf("ItemPath = %q", got)
	}
	it := r.Item
	it.Status = Complete
	body, err := a.Encode(r.Raw, &it, []Field{FieldStatus})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"loc":"7","item":"x1","stage":"done","goLive":"2026-01-02","ts":"2025-01-01T00:00:00Z","stage_note":"kept"}`; string(body) != want {
		t.Errorf("body %s\nwant %s", body, want)
	}
}

func TestMappingErrors(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Mapping)
		want   string
	}{
		{"no site name", func(m *Mapping) { m.Fields.Site = "" }, "EDC mapping: the site field has no name"},
		{"no update time name", func(m *Mapping) { m.Fields.SourceUpdated = "" }, "EDC mapping: the source_updated field has no name"},
		{"two fields one name", func(m *Mapping) { m.Fields.Operator = "status" },
			`EDC mapping: fields status and operator are both called "status"`},
		{"missing status word", func(m *Mapping) { delete(m.Statuses, Rejected) }, "EDC mapping: status rejected has no word in the vocabulary"},
		{"two statuses one word", func(m *Mapping) { m.Statuses[Rejected] = " draft" },
			`EDC mapping: statuses not_started and rejected are both "draft"`},
		{"unknown status", func(m *Mapping) { m.Statuses["withdrawn"] = "WITHDRAWN" },
			`EDC mapping: "withdrawn" is not a checklist status (not_started, in_review, complete, rejected)`},
		{"item path without code", func(m *Mapping) { m.ItemPath = "/v1/items/{site}" },
			`EDC mapping: the item path "/v1/items/{site}" must start with / and hold {site} and {code}`},
		{"several problems on one line", func(m *Mapping) { m.Fields.Code = ""; m.ListPath = "items" },
			`EDC mapping: the code field has no name; the list path "items" does not start with /`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := DefaultEDC()
			c.change(&m)
			_, err := NewAdapter(EDC, m)
			if err == nil || err.Error() != c.want {
				t.Fatalf("error %v\nwant %s", err, c.want)
			}
		})
	}
	if _, err := NewAdapter("crm", DefaultEDC()); err == nil || err.Error() != `checklist system "crm": must be "edc" or "ctms"` {
		t.Errorf("unknown system: %v", err)
	}
}

func TestEncode(t *testing.T) {
	edc := mustAdapter(t, EDC, DefaultEDC())
	ctms := mustAdapter(t, CTMS, DefaultCTMS())
	cases := []struct {
		name    string
		ad      *Adapter
		file    string
		set     func(*Item)
		fields  []Field
		changed map[string]string // JSON key -> new raw value; every other key must be kept byte for byte
	}{
		{"edc status and date", edc, "edc/approved.json",
			func(it *Item) { it.Status, it.PlannedActivationDate = Rejected, "" },
			[]Field{FieldStatus, FieldPlannedActivationDate},
			map[string]string{"status": `"RETURNED"`, "plannedActivation": `null`}},
		{"edc document and version", edc, "edc/approved.json",
			func(it *Item) { it.EvidenceDocID, it.Version = "DOC-9", "V3" },
			[]Field{FieldEvidenceDocID, FieldVersion},
			map[string]string{"documentId": `"DOC-9"`, "version": `"V3"`}},
		{"ctms sign-off and state", ctms, "ctms/verified.json",
			func(it *Item) { it.MilestoneSignedOff, it.Status = FlagNo, InReview },
			[]Field{FieldMilestoneSignedOff, FieldStatus},
			map[string]string{"signedOff": `false`, "state": `"Pending QC"`}},
		{"ctms date", ctms, "ctms/messy.json",
			func(it *Item) { it.PlannedActivationDate = "2025-06-30" },
			[]Field{FieldPlannedActivationDate},
			map[string]string{"plannedActivation": `"2025-06-30"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := fixture(t, c.file)
			r := c.ad.Decode(raw)
			it := r.Item
			c.set(&it)
			body, err := c.ad.Encode(r.Raw, &it, c.fields)
			if err != nil {
				t.Fatal(err)
			}
			var before, after map[string]json.RawMessage
			if err := json.Unmarshal(raw, &before); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(body, &after); err != nil {
				t.Fatalf("body is not JSON: %v\n%s", err, body)
			}
			if !slices.Equal(slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after))) {
				t.Fatalf("keys changed: %v -> %v", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
			}
			for k, v := range before {
				want := string(v) // kept byte for byte
				if nv, ok := c.changed[k]; ok {
					want = nv
				}
				if got := string(after[k]); got != want {
					t.Errorf("%s = %s, want %s", k, got, want)
				}
			}
			// Decoding the body gives the written values back: what trialsync writes, it reads as written.
			back := c.ad.Decode(body)
			for _, f := range c.fields {
				if f.value(&back.Item) != f.value(&it) {
					t.Errorf("%s reads back as %q, want %q", f, f.value(&back.Item), f.value(&it))
				}
			}
			again, _ := c.ad.Encode(r.Raw, &it, c.fields)
			if !bytes.Equal(body, again) {
				t.Error("the same write encodes to different bytes")
			}
		})
	}
}

func TestEncodeKeepsUnknownValuesExactly(t *testing.T) {
	edc := mustAdapter(t, EDC, DefaultEDC())
	r := edc.Decode(fixture(t, "edc/approved.json"))
	it := r.Item
	it.Status = InReview
	body, err := edc.Encode(r.Raw, &it, []Field{FieldStatus})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(string(r.Raw), `"status": "APPROVED"`, `"status": "SUBMITTED"`, 1)
	if string(body) != want {
		t.Errorf("body\n%s\nwant the record with only its status changed:\n%s", body, want)
	}
}

// TestEncodeSplices: only the written values change; a field the record lacks is added; every copy of a
// duplicated key and a key spelt with escapes are written too.
func TestEncodeSplices(t *testing.T) {
	edc := mustAdapter(t, EDC, DefaultEDC())
	it := Item{Site: "101", Code: "IRB", Status: Rejected, EvidenceDocID: "DOC-5", PlannedActivationDate: "2025-07-01"}
	fields := []Field{FieldStatus, FieldEvidenceDocID, FieldPlannedActivationDate}
	cases := []struct{ name, raw, want string }{
		{"replaced in place, added at the end",
			`{"siteId":"101", "status" : "DRAFT" ,"note":[1, 2]}` + "\n",
			`{"siteId":"101", "status" : "RETURNED" ,"note":[1, 2],"documentId":"DOC-5","plannedActivation":"2025-07-01"}` + "\n"},
		{"empty object", `{ }`, `{ "status":"RETURNED","documentId":"DOC-5","plannedActivation":"2025-07-01"}`},
		{"duplicates and escapes",
			`{"status":"DRAFT","st\u0061tus":"DRAFT","documentId":null,"plannedActivation":"x","plannedActivation":null}`,
			`{"status":"RETURNED","st\u0061tus":"RETURNED","documentId":"DOC-5","plannedActivation":"2025-07-01","plannedActivation":"2025-07-01"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, err := edc.Encode(json.RawMessage(c.raw), &it, fields)
			if err != nil || string(body) != c.want {
				t.Fatalf("body %s (%v)\nwant %s", body, err, c.want)
			}
			if !json.Valid(body) {
				t.Error("body is not JSON")
			}
		})
	}
}

func TestEncodeNeverWritesAcross(t *testing.T) {
	edc := mustAdapter(t, EDC, DefaultEDC())
	r := edc.Decode(fixture(t, "edc/approved.json"))
	it := r.Item
	it.MilestoneSignedOff = FlagYes
	_, err := edc.Encode(r.Raw, &it, []Field{FieldMilestoneSignedOff})
	if !errors.Is(err, ErrNotHeld) {
		t.Fatalf("writing signedOff to the EDC: %v, want ErrNotHeld", err)
	}
	if _, err := edc.Encode(json.RawMessage(`[1]`), &it, []Field{FieldStatus}); err == nil ||
		err.Error() != "EDC record 101/FDA-1572: not a JSON object" {
		t.Errorf("encoding over a non-object: %v", err)
	}
}

func TestEncodeNewRecord(t *testing.T) {
	ctms := mustAdapter(t, CTMS, DefaultCTMS())
	it := Item{Site: "101", Code: "IRB", Version: "V1", Status: NotStarted, MilestoneSignedOff: FlagYes, PlannedActivationDate: "2025-05-05"}
	body, err := ctms.Encode(nil, &it, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"site":"101","taskCode":"IRB","formVersion":"V1","state":"Pending","documentId":"","signedOff":true,"plannedActivation":"2025-05-05"}`
	if string(body) != want {
		t.Errorf("body %s\nwant %s", body, want)
	}
}

func TestPaths(t *testing.T) {
	edc := mustAdapter(t, EDC, DefaultEDC())
	withQuery := DefaultEDC()
	withQuery.ListPath = "/api/items?format=json"
	queried := mustAdapter(t, EDC, withQuery)
	cases := []struct{ got, want string }{
		{edc.ItemPath("101", "FDA-1572"), "/v1/checklist-items/101/FDA-1572"},
		{edc.ItemPath("10 1", "a/b?c"), "/v1/checklist-items/10%201/a%2Fb%3Fc"},
		{edc.ListPath("ALPHA", 500, ""), "/v1/checklist-items?limit=500&study_id=ALPHA"},
		{edc.ListPath("AL PHA&X", 500, "c/2"), "/v1/checklist-items?cursor=c%2F2&limit=500&study_id=AL+PHA%26X"},
		// A configured list path may carry a query of its own: the listing's parameters join it.
		{queried.ListPath("ALPHA", 10, "c2"), "/api/items?cursor=c2&format=json&limit=10&study_id=ALPHA"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %s", c.got)
			}
		})
	}
}

func TestDecodePage(t *testing.T) {
	edc := mustAdapter(t, EDC, DefaultEDC())
	cases := []struct {
		name, body string
		items      int
		next, err  string
	}{
		{"page with cursor", string(fixture(t, "edc/page.json")), 2, "c2", ""},
		{"last page, null cursor", `{"items":[],"next_cursor":null}`, 0, "", ""},
		{"last page, no cursor", `{"items":[{"a":1}]}`, 1, "", ""},
		{"no items", `{"next_cursor":"c"}`, 0, "", "EDC listing: the answer has no items array"},
		{"not JSON", `<html>`, 0, "", "EDC listing: the answer is not a JSON page of items"},
		{"cut short", `{"items":[{"a":1},`, 0, "", "EDC listing: the answer is not a JSON page of items"},
		{"items not an array", `{"items":{"a":1}}`, 0, "", "EDC listing: the answer has no items array"},
		{"cursor not text", `{"items":[],"next_cursor":7}`, 0, "", "EDC listing: next_cursor 7 is not a string"},
		{"white space and escapes", " {\"items\" : [ {\"a\":\"\\\"]\"} , [] ] ,\"next_cursor\":\"c\\u0033\"}\n", 2, "c3", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := edc.DecodePage([]byte(c.body))
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("error %v, want %s", err, c.err)
				}
				return
			}
			if err != nil || len(p.Items) != c.items || p.NextCursor != c.next {
				t.Fatalf("page %d items, next %q, err %v", len(p.Items), p.NextCursor, err)
			}
		})
	}
}
