package checklist

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trialsync/trialsync/sync/sim/seed"
	"github.com/trialsync/trialsync/sync/sim/simtest"
)

// TestAuthorisation: every route needs the bearer token; no credentials and a wrong token are 401
// with the RFC 6750 challenge, and nothing is changed.
func TestAuthorisation(t *testing.T) {
	s := start(t, Options{System: EDC})
	routes := []struct{ method, path, body string }{
		{"GET", "/v1/checklist-items?study_id=ALPHA", ""},
		{"PUT", "/v1/checklist-items/101/PI_CV", `{"status":"APPROVED"}`},
		{"POST", "/sim/edits", `{"edits":[]}`},
		{"DELETE", "/sim/items/101/PI_CV", ""},
		{"GET", "/sim/items", ""},
	}
	for _, rt := range routes {
		for _, tc := range []struct{ name, auth, challenge string }{
			{"none", "", `Bearer realm="EDC"`},
			{"wrong", "Bearer sim-ctms-token", `Bearer realm="EDC", error="invalid_token"`},
			{"not bearer", "Basic c2ltOnNpbQ==", `Bearer realm="EDC", error="invalid_token"`},
		} {
			t.Run(rt.method+" "+rt.path+" "+tc.name, func(t *testing.T) {
				a := call(t, s, rt.method, rt.path, rt.body, "Authorization", tc.auth, "Idempotency-Key", "k-"+tc.name)
				isProblem(t, a, 401, "token")
				if got := a.Header.Get("WWW-Authenticate"); got != tc.challenge {
					t.Fatalf("challenge %q, want %q", got, tc.challenge)
				}
			})
		}
	}
	if s.Len() != 18 || s.Count("put") != 0 || s.Count("401") != len(routes)*3 {
		t.Fatalf("refused requests changed something: %d items, %d puts, %d refusals", s.Len(), s.Count("put"), s.Count("401"))
	}
	if a := call(t, s, "GET", "/v1/checklist-items?study_id=ALPHA", ""); a.Status != 200 {
		t.Fatalf("with the token: %d %s", a.Status, a.Body)
	}
}

// TestListShapes: each system serves its own field names in its own order, its own vocabulary,
// timestamps with a zone, dates or null, and next_cursor null only on the last page.
func TestListShapes(t *testing.T) {
	st := simtest.DemoStudy(t)
	cases := []struct {
		sys    System
		fields []string
		words  []string
		time   *regexp.Regexp
	}{
		{EDC, []string{"siteId", "code", "version", "status", "documentId", "plannedActivation", "updatedAt", "lastEditedBy"},
			[]string{"DRAFT", "SUBMITTED", "APPROVED", "RETURNED"}, regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)},
		{CTMS, []string{"site", "taskCode", "formVersion", "state", "documentId", "signedOff", "plannedActivation", "modifiedUtc", "modifiedBy"},
			[]string{"Pending", "Pending QC", "Verified", "Rework"}, regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)},
	}
	for _, tc := range cases {
		t.Run(string(tc.sys), func(t *testing.T) {
			s := start(t, FromSeed(st, tc.sys))
			var all []map[string]any
			var raw [][]byte
			cursor := ""
			for pages := 0; ; pages++ {
				a := call(t, s, "GET", "/v1/checklist-items?study_id=ALPHA&limit=5"+cursor, "")
				p := decodePage(t, a)
				all = append(all, p.Items...)
				raw = append(raw, a.Body)
				if p.NextCursor == nil {
					if !bytes.Contains(a.Body, []byte(`"next_cursor":null`)) || pages != 3 {
						t.Fatalf("last page after %d pages: %s", pages, a.Body)
					}
					break
				}
				if len(p.Items) != 5 {
					t.Fatalf("a page before the last holds %d items", len(p.Items))
				}
				cursor = "&cursor=" + *p.NextCursor
			}
			if len(all) != 18 {
				t.Fatalf("%d items, want 18", len(all))
			}
			// The field order on the wire is the system's.
			first := raw[0][bytes.IndexByte(raw[0][1:], '{')+1:]
			var keys []string
			dec := json.NewDecoder(bytes.NewReader(first))
			dec.Token()
			for dec.More() {
				k, _ := dec.Token()
				keys = append(keys, k.(string))
				var skip json.RawMessage
				_ = dec.Decode(&skip)
			}
			if !slices.Equal(keys, tc.fields) {
				t.Fatalf("fields %v, want %v", keys, tc.fields)
			}
			var prev string
			for _, it := range all {
				key := fmt.Sprint(it[tc.fields[0]], "/", it[tc.fields[1]])
				if key <= prev {
					t.Fatalf("%s after %s: not in key order", key, prev)
				}
				prev = key
				if !slices.Contains(tc.words, it[tc.fields[3]].(string)) {
					t.Errorf("%s: status %v", key, it[tc.fields[3]])
				}
				if ts, _ := it[tc.fields[len(tc.fields)-2]].(string); !tc.time.MatchString(ts) {
					t.Errorf("%s: time %q", key, ts)
				}
				if d, ok := it["plannedActivation"].(string); ok {
					if _, err := time.Parse(time.DateOnly, d); err != nil {
						t.Errorf("%s: date %q", key, d)
					}
				} else if it["plannedActivation"] != nil {
					t.Errorf("%s: plannedActivation %v", key, it["plannedActivation"])
				}
			}
		})
	}
}

// TestListErrors: a listing needs the study, a limit from 1 to 1000 and a cursor the server gave.
func TestListErrors(t *testing.T) {
	s := start(t, Options{System: CTMS})
	for _, tc := range []struct {
		name, query string
		status      int
		detail      string
	}{
		{"no study", "limit=10", 400, "study_id is required"},
		{"other study", "study_id=BETA", 404, "no study BETA"},
		{"zero limit", "study_id=ALPHA&limit=0", 400, "from 1 to 1000"},
		{"limit too big", "study_id=ALPHA&limit=1001", 400, "from 1 to 1000"},
		{"limit not a number", "study_id=ALPHA&limit=ten", 400, "from 1 to 1000"},
		{"made-up cursor", "study_id=ALPHA&cursor=bm90LW91cnM", 400, "The cursor is not one this server gave."},
		{"cursor not base64", "study_id=ALPHA&cursor=%25%25", 400, "The cursor is not one this server gave."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isProblem(t, call(t, s, "GET", "/v1/checklist-items?"+tc.query, ""), tc.status, tc.detail)
		})
	}
	if p := decodePage(t, call(t, s, "GET", "/v1/checklist-items?study_id=ALPHA&limit=1000", "")); len(p.Items) != 18 || p.NextCursor != nil {
		t.Fatalf("limit 1000: %d items, next %v", len(p.Items), p.NextCursor)
	}
	if p := decodePage(t, call(t, s, "GET", "/v1/checklist-items?study_id=ALPHA", "")); len(p.Items) != 18 {
		t.Fatalf("default limit: %d items", len(p.Items))
	}
}

// TestPut: a PUT is checked as the system checks it, replaces the writable fields, stamps the time
// and the API user, and answers the stored item.
func TestPut(t *testing.T) {
	now := time.Date(2025, 4, 1, 12, 30, 15, 250_000_000, time.FixedZone("CEST", 2*3600))
	cases := []struct {
		name       string
		sys        System
		site, code string
		body       string
		status     int
		detail     string            // for errors
		want       map[string]string // field -> JSON value, for successes
	}{
		{"edc update", EDC, "101", "PI_CV", `{"siteId":"101","code":"PI_CV","version":"v3","status":"APPROVED","documentId":"DOC-9","plannedActivation":"2025-05-02","updatedAt":"2020-01-01T00:00:00Z","lastEditedBy":"someone"}`,
			200, "", map[string]string{"version": `"v3"`, "status": `"APPROVED"`, "documentId": `"DOC-9"`, "plannedActivation": `"2025-05-02"`,
				"updatedAt": `"2025-04-01T10:30:15.250Z"`, "lastEditedBy": `"trialsync.integration"`}},
		{"edc replace nulls what is left out", EDC, "101", "PI_CV", `{"status":"DRAFT"}`,
			200, "", map[string]string{"version": "null", "documentId": "null", "plannedActivation": "null", "status": `"DRAFT"`}},
		{"ctms update", CTMS, "102", "LAB_NORMALS", `{"site":"102","taskCode":"LAB_NORMALS","formVersion":"v1","state":"Pending QC","documentId":null,"signedOff":true,"plannedActivation":null}`,
			200, "", map[string]string{"state": `"Pending QC"`, "signedOff": "true", "documentId": "null", "modifiedUtc": `"2025-04-01T10:30:15Z"`, "modifiedBy": `"trialsync.integration"`}},
		{"ctms signedOff left out is null", CTMS, "102", "LAB_NORMALS", `{"state":"Verified"}`, 200, "", map[string]string{"signedOff": "null"}},
		{"create at a known site", EDC, "103", "NEW_ITEM", `{"siteId":"103","code":"NEW_ITEM","version":"v1","status":"SUBMITTED","documentId":null,"plannedActivation":null}`,
			200, "", map[string]string{"siteId": `"103"`, "code": `"NEW_ITEM"`, "status": `"SUBMITTED"`}},
		{"unknown site", EDC, "999", "PI_CV", `{"status":"DRAFT"}`, 404, "no site 999", nil},
		{"unknown status", EDC, "101", "PI_CV", `{"status":"WITHDRAWN"}`, 400, `status "WITHDRAWN" is not one of DRAFT, SUBMITTED, APPROVED, RETURNED`, nil},
		{"other system's word", CTMS, "101", "PI_CV", `{"state":"APPROVED"}`, 400, `state "APPROVED" is not one of Pending`, nil},
		{"status case matters", EDC, "101", "PI_CV", `{"status":"approved"}`, 400, "is not one of", nil},
		{"field the edc does not hold", EDC, "101", "PI_CV", `{"status":"DRAFT","signedOff":true}`, 400, `"signedOff" is not a field of EDC checklist items`, nil},
		{"other system's field name", CTMS, "101", "PI_CV", `{"status":"Pending"}`, 400, `"status" is not a field of CTMS checklist items`, nil},
		{"misspelt field", EDC, "101", "PI_CV", `{"status":"DRAFT","documentID":"D"}`, 400, `"documentID" is not a field`, nil},
		{"status missing", EDC, "101", "PI_CV", `{"version":"v1"}`, 400, "status is required", nil},
		{"status null", EDC, "101", "PI_CV", `{"status":null}`, 400, "status may not be null", nil},
		{"status not a string", EDC, "101", "PI_CV", `{"status":3}`, 400, "status: 3 is not a string", nil},
		{"signedOff not a boolean", CTMS, "101", "PI_CV", `{"state":"Pending","signedOff":"yes"}`, 400, "signedOff: \"yes\" is not true, false or null", nil},
		{"date not a date", EDC, "101", "PI_CV", `{"status":"DRAFT","plannedActivation":"01/05/2025"}`, 400, `plannedActivation "01/05/2025" is not a date`, nil},
		{"date with a time", EDC, "101", "PI_CV", `{"status":"DRAFT","plannedActivation":"2025-05-01T00:00:00Z"}`, 400, "is not a date", nil},
		{"site disagrees with the path", EDC, "101", "PI_CV", `{"siteId":"102","status":"DRAFT"}`, 400, `siteId "102" does not match "101"`, nil},
		{"code disagrees with the path", CTMS, "101", "PI_CV", `{"taskCode":"CV","state":"Pending"}`, 400, `taskCode "CV" does not match "PI_CV"`, nil},
		{"not an object", EDC, "101", "PI_CV", `["status","DRAFT"]`, 400, "not the expected JSON", nil},
		{"null body", EDC, "101", "PI_CV", `null`, 400, "not a JSON object", nil},
		{"two objects", EDC, "101", "PI_CV", `{"status":"DRAFT"}{"status":"DRAFT"}`, 400, "more than one JSON value", nil},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, Options{System: tc.sys, Now: func() time.Time { return now }})
			before, _ := s.Item(tc.site, tc.code)
			a := put(t, s, tc.site, tc.code, fmt.Sprintf("k%d", i), tc.body)
			if tc.want == nil {
				isProblem(t, a, tc.status, tc.detail)
				if after, _ := s.Item(tc.site, tc.code); !bytes.Equal(before, after) {
					t.Fatalf("a refused PUT changed the item: %s -> %s", before, after)
				}
				return
			}
			if a.Status != 200 || a.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("%d %s", a.Status, a.Body)
			}
			var got map[string]json.RawMessage
			if err := json.Unmarshal(a.Body, &got); err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if string(got[k]) != v {
					t.Errorf("%s = %s, want %s", k, got[k], v)
				}
			}
			stored, ok := s.Item(tc.site, tc.code)
			if !ok || !bytes.Equal(stored, bytes.TrimSpace(a.Body)) {
				t.Fatalf("stored %s, answered %s", stored, a.Body)
			}
		})
	}
	t.Run("no idempotency key", func(t *testing.T) {
		s := start(t, Options{System: EDC})
		a := call(t, s, "PUT", "/v1/checklist-items/101/PI_CV", `{"status":"DRAFT"}`)
		isProblem(t, a, 400, "requires an Idempotency-Key")
		if s.Count("put") != 0 {
			t.Fatal("the PUT ran without a key")
		}
	})
}

// TestIdempotency: a replay gets the first answer unchanged without running again; the same key with
// another body is 422; a replay while the first is still running is 409.
func TestIdempotency(t *testing.T) {
	var mu sync.Mutex
	var hold chan struct{}
	entered := make(chan struct{}, 1)
	clock := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
	now := func() time.Time {
		mu.Lock()
		h := hold
		clock = clock.Add(time.Second)
		c := clock
		mu.Unlock()
		if h != nil {
			entered <- struct{}{}
			<-h
		}
		return c
	}
	s := start(t, Options{System: CTMS, Now: now})
	body := `{"state":"Verified","documentId":"DOC-1","signedOff":true,"plannedActivation":"2025-05-01"}`
	first := put(t, s, "101", "PI_CV", `"key-1"`, body)
	replay := put(t, s, "101", "PI_CV", `"key-1"`, body)
	if first.Status != 200 || replay.Status != 200 || !bytes.Equal(first.Body, replay.Body) || s.Count("put") != 1 || s.Count("replay") != 1 {
		t.Fatalf("replay: %d %s / %d %s, %d puts", first.Status, first.Body, replay.Status, replay.Body, s.Count("put"))
	}
	// Another PUT moves the item on; a replay of the first key still answers the first result.
	if a := put(t, s, "101", "PI_CV", `"key-2"`, `{"state":"Rework"}`); a.Status != 200 {
		t.Fatal(a.Status)
	}
	if again := put(t, s, "101", "PI_CV", `"key-1"`, body); !bytes.Equal(again.Body, first.Body) {
		t.Fatalf("a later replay answered %s", again.Body)
	}
	if cur, _ := s.Item("101", "PI_CV"); !bytes.Contains(cur, []byte(`"state":"Rework"`)) {
		t.Fatalf("the replay changed the item: %s", cur)
	}
	isProblem(t, put(t, s, "101", "PI_CV", `"key-1"`, `{"state":"Pending"}`), 422, "different payload")
	isProblem(t, put(t, s, "102", "PI_CV", `"key-1"`, body), 422, "different payload")

	mu.Lock()
	hold = make(chan struct{})
	mu.Unlock()
	done := make(chan answer)
	go func() { done <- put(t, s, "103", "PI_CV", `"key-3"`, `{"state":"Pending"}`) }()
	<-entered
	mu.Lock()
	h := hold
	hold = nil
	mu.Unlock()
	isProblem(t, put(t, s, "103", "PI_CV", `"key-3"`, `{"state":"Pending"}`), 409, "being processed")
	close(h)
	if a := <-done; a.Status != 200 {
		t.Fatalf("the first of the in-flight pair: %d %s", a.Status, a.Body)
	}
	if s.Count("idempotency409") != 1 || s.Count("idempotency422") != 2 {
		t.Fatalf("409s %d, 422s %d", s.Count("idempotency409"), s.Count("idempotency422"))
	}
}

// TestFromSeed: both systems hold every site's every item; outside the declared conflicts they agree,
// and on a conflict each holds its side of it. Only the CTMS holds signedOff.
func TestFromSeed(t *testing.T) {
	st := simtest.DemoStudy(t)
	edc := start(t, FromSeed(st, EDC))
	ctms := start(t, FromSeed(st, CTMS))
	items := st.ChecklistItems()
	if edc.Len() != len(items) || ctms.Len() != len(items) || edc.Options().StudyID != "ALPHA" {
		t.Fatalf("%d and %d items, want %d", edc.Len(), ctms.Len(), len(items))
	}
	conflicts := 0
	for _, it := range items {
		e, err1 := edc.Canonical(it.Site, it.Code)
		c, err2 := ctms.Canonical(it.Site, it.Code)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if e.Version != it.Version || c.Version != it.Version || e.Status != it.EDC.Status || c.Status != it.CTMS.Status ||
			e.EvidenceDocID != it.EDC.EvidenceDocID || c.EvidenceDocID != it.CTMS.EvidenceDocID ||
			e.PlannedActivationDate != it.EDC.PlannedActivationDate || c.PlannedActivationDate != it.CTMS.PlannedActivationDate ||
			c.MilestoneSignedOff != it.CTMS.MilestoneSignedOff || e.MilestoneSignedOff {
			t.Errorf("%s/%s: EDC %+v, CTMS %+v, seed %+v", it.Site, it.Code, e, c, it)
		}
		if it.EDC != it.CTMS {
			conflicts++
		}
		raw, _ := edc.Item(it.Site, it.Code)
		if bytes.Contains(raw, []byte("signedOff")) {
			t.Fatalf("the EDC serves signedOff: %s", raw)
		}
	}
	if conflicts != len(st.Checklist.Conflicts) {
		t.Fatalf("%d items differ, the seed declares %d conflicts", conflicts, len(st.Checklist.Conflicts))
	}
}

// TestStartErrors: a system that is neither, items at unknown sites or twice, a bad fault spec, and
// an address beyond this machine are refused.
func TestStartErrors(t *testing.T) {
	item := seed.ChecklistItem{Site: "101", Code: "A", Baseline: seed.ChecklistValues{Status: "complete"}}
	item.EDC, item.CTMS = item.Baseline, item.Baseline
	bad := item
	bad.EDC.Status = "done"
	for _, tc := range []struct {
		name, addr string
		opts       Options
		err        string
	}{
		{"no system", "127.0.0.1:0", Options{}, "neither"},
		{"unknown site", "127.0.0.1:0", Options{System: EDC, Sites: []string{"102"}, Items: []seed.ChecklistItem{item}}, "not among the sites"},
		{"twice", "127.0.0.1:0", Options{System: EDC, Items: []seed.ChecklistItem{item, item}}, "appears twice"},
		{"bad status", "127.0.0.1:0", Options{System: EDC, Items: []seed.ChecklistItem{bad}}, `"done" is not a checklist status`},
		{"slash in a code", "127.0.0.1:0", Options{System: EDC, Items: []seed.ChecklistItem{{Site: "101", Code: "A/B", EDC: item.EDC}}}, "no slash"},
		{"faults", "127.0.0.1:0", Options{System: EDC, Faults: "hail:1"}, "unknown fault"},
		{"not loopback", "0.0.0.0:0", Options{System: CTMS}, "not loopback"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := Start(tc.addr, tc.opts); err == nil || !strings.Contains(err.Error(), tc.err) {
				if s != nil {
					s.Close()
				}
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
		})
	}
	if s := start(t, Options{System: EDC, Items: []seed.ChecklistItem{}}); s.Len() != 0 {
		t.Fatalf("an empty item list served %d items", s.Len())
	}
}

// TestUnknownPath: anything else is a 404 problem (with the token) and a 405 for a wrong method.
func TestUnknownPath(t *testing.T) {
	s := start(t, Options{System: EDC})
	isProblem(t, call(t, s, "GET", "/v2/checklist-items", ""), 404, "nothing at /v2/checklist-items")
	a := call(t, s, "POST", "/v1/checklist-items", "{}")
	isProblem(t, a, http.StatusMethodNotAllowed, "use GET")
	if a.Header.Get("Allow") != "GET" {
		t.Fatalf("Allow %q", a.Header.Get("Allow"))
	}
	isProblem(t, call(t, s, "DELETE", "/v1/checklist-items/101/PI_CV", ""), http.StatusMethodNotAllowed, "use GET, PUT")
}
