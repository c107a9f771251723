package rws

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trialsync/trialsync/sync/exposure"
	"github.com/trialsync/trialsync/sync/sim/simtest"
)

// golden is one of the exposure core's golden ODM bodies: what trialsync posts for a dose log line.
func golden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "exposure", "testdata", "odm", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// logLine builds a transactional exposure body like the exposure core's: one log line by context.
func logLine(subject, site, form, date string, items ...string) string {
	return logDoc(subject, site, form, group(form, date, items...))
}

// logDoc wraps log-line groups of one form in a transactional document for one subject.
func logDoc(subject, site, form string, groups ...string) string {
	return `<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" FileType="Transactional" ODMVersion="1.3" FileOID="f-` + subject + `">` +
		`<ClinicalData StudyOID="ALPHA(Prod)" MetaDataVersionOID="1"><SubjectData SubjectKey="` + subject + `" TransactionType="Update">` +
		`<SiteRef LocationOID="` + site + `"/><StudyEventData StudyEventOID="SM" StudyEventRepeatKey="1" TransactionType="Update">` +
		`<FormData FormOID="` + form + `" TransactionType="Update">` + strings.Join(groups, "") +
		`</FormData></StudyEventData></SubjectData></ClinicalData></ODM>`
}

// group is one log line by context: EXSTDAT as the Context item, then Upsert items (name, value pairs).
func group(form, date string, items ...string) string {
	var b strings.Builder
	b.WriteString(`<ItemGroupData ItemGroupOID="` + form + `" ItemGroupRepeatKey="@CONTEXT" TransactionType="Upsert">`)
	b.WriteString(`<ItemData ItemOID="` + form + `.EXSTDAT" TransactionType="Context" Value="` + date + `"/>`)
	for i := 0; i+1 < len(items); i += 2 {
		b.WriteString(`<ItemData ItemOID="` + form + `.` + items[i] + `" TransactionType="Upsert" Value="` + items[i+1] + `"/>`)
	}
	b.WriteString(`</ItemGroupData>`)
	return b.String()
}

// postAnswer posts doc and returns the HTTP status and the Response's attributes.
func postAnswer(t *testing.T, s *Server, doc string) (int, map[string]string) {
	t.Helper()
	resp, b, err := get(t, s, "POST", "webservice.aspx?PostODMClinicalData", strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	name, attrs := root(t, b)
	if name != "Response" {
		t.Fatalf("answer root <%s>: %s", name, b)
	}
	return resp.StatusCode, attrs
}

// TestExposureBodiesApplyByContext posts the exposure core's golden insert and update bodies and
// more lines: a line is found by its context item (EXSTDAT) or made after the last one; Upsert items
// are applied; the statistics count what Rave touches, and pass the exposure core's own check.
func TestExposureBodiesApplyByContext(t *testing.T) {
	s := startRWS(t, Options{})
	line := func(n int) map[string]string {
		lines := s.LogLines("101-001", "EX_INH")
		if n >= len(lines) {
			t.Fatalf("%d log lines, want line %d", len(lines), n+1)
		}
		return lines[n].Items
	}
	steps := []struct {
		name     string
		doc      string
		expected exposure.Expected // what the send carried, as the exposure core counts it
		resent   bool
		stats    string
		lines    int
	}{
		{"golden insert makes a line", golden(t, "insert.xml"), exposure.Expected{Fields: 5, LogLines: 1}, false,
			"Subjects=0; Folders=0; Forms=1; Fields=4; LogLines=1", 1},
		{"golden update finds it by context", golden(t, "update.xml"), exposure.Expected{Fields: 1, LogLines: 1}, false,
			"Subjects=0; Folders=0; Forms=0; Fields=1; LogLines=0", 1},
		{"the same update again touches nothing", golden(t, "update.xml"), exposure.Expected{Fields: 1, LogLines: 1, Resent: true}, true,
			"Subjects=0; Folders=0; Forms=0; Fields=0; LogLines=0", 1},
		{"another day is another line", logLine("101-001", "101", "EX_INH", "04 NOV 2024", "EXSTTIM", "", "EXPNUM", "2", "EXNUM", "1"),
			exposure.Expected{Fields: 3, LogLines: 1}, false, "Subjects=0; Folders=0; Forms=0; Fields=2; LogLines=1", 2},
		{"the context matches whatever the case", logLine("101-001", "101", "EX_INH", "04 Nov 2024", "EXFOOD", "Yes"),
			exposure.Expected{Fields: 1, LogLines: 1}, false, "Subjects=0; Folders=0; Forms=0; Fields=1; LogLines=0", 2},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			status, attrs := postAnswer(t, s, st.doc)
			if status != 200 || attrs["IsTransactionSuccessful"] != "1" || attrs["SuccessStatistics"] != "Rave objects touched: "+st.stats {
				t.Fatalf("%d %v", status, attrs)
			}
			if msg := st.expected.Compare(exposure.ParseStatistics(attrs["SuccessStatistics"])); msg != "" {
				t.Fatalf("the exposure core finds the answer inconsistent: %s", msg)
			}
			if n := len(s.LogLines("101-001", "EX_INH")); n != st.lines {
				t.Fatalf("%d log lines, want %d", n, st.lines)
			}
		})
	}
	want := []map[string]string{
		{"EX_INH.EXSTDAT": "03 NOV 2024", "EX_INH.EXSTTIM": "08:30", "EX_INH.EXPNUM": "2", "EX_INH.EXNUM": "0", "EX_INH.EXMODE": "Video"},
		{"EX_INH.EXSTDAT": "04 NOV 2024", "EX_INH.EXPNUM": "2", "EX_INH.EXNUM": "1", "EX_INH.EXFOOD": "Yes"},
	}
	for i, w := range want {
		if got := line(i); !maps.Equal(got, w) {
			t.Errorf("line %d = %v, want %v", i+1, got, w)
		}
	}
	lines := s.LogLines("101-001", "EX_INH")
	if lines[0].Repeat != "1" || lines[1].Repeat != "2" || lines[0].Event != "SM" || lines[0].ItemGroup != "EX_INH" {
		t.Fatalf("lines %+v", lines)
	}
	if other := s.LogLines("101-002", "EX_INH"); len(other) != 0 {
		t.Fatalf("another subject has lines %v", other)
	}
	// Rave's state is visible to a reader: the dataset holds the lines under their repeat keys.
	_, ds, _ := get(t, s, "GET", "studies/ALPHA(Prod)/datasets/regular/EX_INH", nil)
	if !bytes.Contains(ds, []byte(`ItemGroupRepeatKey="2"`)) || !bytes.Contains(ds, []byte(`Value="04 NOV 2024"`)) || bytes.Contains(ds, []byte("@CONTEXT")) {
		t.Fatalf("dataset:\n%s", ds)
	}
}

// TestContextInOneDocument: two groups with the same context in one post are one line; two new
// contexts are two lines, numbered after the last.
func TestContextInOneDocument(t *testing.T) {
	s := startRWS(t, Options{})
	three := logDoc("102-003", "102", "EX_RPT",
		group("EX_RPT", "01 MAR 2025", "EXNUM", "1"),
		group("EX_RPT", "02 MAR 2025", "EXNUM", "1"),
		group("EX_RPT", "01 MAR 2025", "EXPNUM", "1"))
	status, attrs := postAnswer(t, s, three)
	if status != 200 || !strings.HasSuffix(attrs["SuccessStatistics"], "Fields=3; LogLines=2") {
		t.Fatalf("%d %v", status, attrs)
	}
	lines := s.LogLines("102-003", "EX_RPT")
	if len(lines) != 2 || lines[0].Items["EX_RPT.EXSTDAT"] != "01 MAR 2025" || lines[0].Items["EX_RPT.EXPNUM"] != "1" || lines[1].Repeat != "2" {
		t.Fatalf("lines %+v", lines)
	}
}

// TestExposureRefusals: the failure shapes Rave answers a dose post with, each routed by the exposure
// core as it must be (the wrong-drug refusal urgent), and nothing applied.
func TestExposureRefusals(t *testing.T) {
	st := simtest.DemoStudy(t)
	opts := FromSeed(st)
	opts.Faults = ""
	s := startRWS(t, opts)
	wrong := st.Trouble.WrongDrug // 103-004, Arm B, Rifapentine
	rpt, _ := st.Drug(wrong.Drug)
	inh, _ := st.Drug("Isoniazid")
	cases := []struct {
		name, doc     string
		status        int
		code, origin  string
		category      exposure.Category
		urgent        bool
		subject, form string
	}{
		{"drug outside the arm", logLine(wrong.Subject, "103", rpt.Form, "05 MAR 2025", "EXNUM", "1"), 404, "RWS00033",
			"/ODM/ClinicalData[1]/SubjectData[1]/StudyEventData[1]/FormData[1]", exposure.CategoryWrongDrug, true, wrong.Subject, rpt.Form},
		{"unknown subject", logLine("103-999", "103", inh.Form, "05 MAR 2025", "EXNUM", "1"), 404, "RWS00023",
			"/ODM/ClinicalData[1]/SubjectData[1]", exposure.CategorySubject, false, "103-999", inh.Form},
		{"unknown form", logLine("101-001", "101", "EX_EMB", "05 MAR 2025", "EXNUM", "1"), 404, "RWS00037",
			"/ODM/ClinicalData[1]/SubjectData[1]/StudyEventData[1]/FormData[1]", exposure.CategoryForm, false, "101-001", "EX_EMB"},
		{"no context item", strings.Replace(logLine("101-001", "101", inh.Form, "05 MAR 2025", "EXNUM", "1"), `TransactionType="Context"`, `TransactionType="Upsert"`, 1), 400, "RWS00037",
			"/ODM/ClinicalData[1]/SubjectData[1]/StudyEventData[1]/FormData[1]/ItemGroupData[1]", exposure.CategoryForm, false, "101-001", inh.Form},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, attrs := postAnswer(t, s, tc.doc)
			if status != tc.status || attrs["IsTransactionSuccessful"] != "0" || attrs["ReasonCode"] != tc.code || attrs["ErrorOriginLocation"] != tc.origin ||
				attrs["SuccessStatistics"] != "Rave objects touched: Subjects=0; Folders=0; Forms=0; Fields=0; LogLines=0" {
				t.Fatalf("%d %v", status, attrs)
			}
			rt := exposure.Route(exposure.Refusal{Status: status, ReasonCode: attrs["ReasonCode"], Origin: attrs["ErrorOriginLocation"], Message: attrs["ErrorClientResponseMessage"]})
			if rt.Category != tc.category || rt.Urgent != tc.urgent {
				t.Fatalf("routed %+v", rt)
			}
			if lines := s.LogLines(tc.subject, tc.form); len(lines) != 0 {
				t.Fatalf("a refused post left lines %v", lines)
			}
		})
	}
	// The same subject's own drug goes through; so does the other arm's second drug.
	for _, ok := range []string{
		logLine(wrong.Subject, "103", inh.Form, "05 MAR 2025", "EXNUM", "1"),
		logLine(armASubject(t, s), "101", rpt.Form, "05 MAR 2025", "EXNUM", "1"),
	} {
		if status, attrs := postAnswer(t, s, ok); status != 200 || attrs["IsTransactionSuccessful"] != "1" {
			t.Fatalf("%d %v", status, attrs)
		}
	}
}

// armASubject finds a subject of site 101 randomised to Arm A.
func armASubject(t *testing.T, s *Server) string {
	t.Helper()
	for _, subj := range s.Subjects() {
		if v, _, _ := s.Value(ItemKey{Subject: subj, Event: "SCREEN", Form: "RAND", ItemGroup: "RAND", Item: "RAND.ARM"}); v == "Arm A" && strings.HasPrefix(subj, "101-") {
			return subj
		}
	}
	t.Fatal("no Arm A subject at 101")
	return ""
}

// TestTransactionFailedWith200: under txfail Rave answers HTTP 200 with IsTransactionSuccessful="0"
// and applies nothing; the exposure core must not take it for success.
func TestTransactionFailedWith200(t *testing.T) {
	for _, tc := range []struct{ faults, code string }{{"txfail:1", "RWS00040"}, {"txfail:1@RWS00036,slow:1ms", "RWS00036"}} {
		t.Run(tc.faults, func(t *testing.T) {
			s := startRWS(t, Options{Faults: tc.faults})
			status, attrs := postAnswer(t, s, golden(t, "insert.xml"))
			if status != 200 || attrs["IsTransactionSuccessful"] != "0" || attrs["ReasonCode"] != tc.code || attrs["InboundODMFileOID"] != "trialsync-test-0001" ||
				attrs["ErrorOriginLocation"] != "/ODM/ClinicalData[1]/SubjectData[1]/StudyEventData[1]/FormData[1]/ItemGroupData[1]" || s.Count("txfail") != 1 {
				t.Fatalf("%d %v", status, attrs)
			}
			if lines := s.LogLines("101-001", "EX_INH"); len(lines) != 0 {
				t.Fatalf("a failed transaction applied %v", lines)
			}
		})
	}
	s := startRWS(t, Options{Faults: "txfail:0.5,seed:9"})
	fails := 0
	for range 20 {
		if _, attrs := postAnswer(t, s, golden(t, "insert.xml")); attrs["IsTransactionSuccessful"] == "0" {
			fails++
		}
	}
	if fails == 0 || fails == 20 || s.Count("txfail") != fails || len(s.LogLines("101-001", "EX_INH")) != 1 {
		t.Fatalf("%d of 20 failed (counted %d)", fails, s.Count("txfail"))
	}
	for _, spec := range []string{"txfail:2", "txfail:x", "txfail:1@40", "txfail:1,hail:1"} {
		if _, err := Start("127.0.0.1:0", Options{Faults: spec}); err == nil {
			t.Errorf("Start with faults %q succeeded", spec)
		}
	}
}
