package exposure

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trialsync/trialsync/sync/config"
	"github.com/trialsync/trialsync/sync/odm"
)

var update = flag.Bool("update", false, "rewrite the golden ODM bodies in testdata/odm")

var (
	testMapping = NewMapping(&config.Exposure{StudyOID: "ALPHA(Prod)", StudyEvent: "SM",
		Drugs: map[string]string{"Isoniazid": "EX_INH", "Rifapentine": "EX_RPT"}})
	testCreated = time.Date(2024, 11, 3, 9, 12, 44, 0, time.UTC)
)

// fileOIDs is a deterministic FileOID generator for golden bodies.
func fileOIDs() func() string {
	n := 0
	return func() string {
		n++
		return fmt.Sprintf("trialsync-test-%04d", n)
	}
}

// goldenSends are the specification's two examples: the first send of a log line (every item, "" where
// there is no value) and a later change of tablets taken from 2 to 0 (only that item, same Context).
func goldenSends(t *testing.T) (insert, upd Send) {
	t.Helper()
	rec, err := testRules.Check(Input{Subject: "101-001", Site: "101", Drug: "Isoniazid", StartDate: "2024-11-03",
		StartTime: "08:30", Prescribed: "2", Taken: "2", Mode: "Video"})
	if err != nil {
		t.Fatal(err)
	}
	line := rec.LogLine()
	insert, ok := Plan(line, nil)
	if !ok {
		t.Fatal("nothing to insert")
	}
	line.Values.Taken = "0"
	acked := insert.Acked
	upd, ok = Plan(line, &acked)
	if !ok {
		t.Fatal("nothing to update")
	}
	return insert, upd
}

func TestGoldenBodies(t *testing.T) {
	insert, upd := goldenSends(t)
	next := fileOIDs()
	tests := []struct {
		golden string
		send   Send
		want   Expected
	}{
		{"insert.xml", insert, Expected{Fields: 5, LogLines: 1}},
		{"update.xml", upd, Expected{Fields: 1, LogLines: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			body, exp, err := testMapping.Body(Header{FileOID: next(), Created: testCreated}, []Send{tt.send})
			if err != nil {
				t.Fatal(err)
			}
			if exp != tt.want {
				t.Errorf("expected statistics %+v, want %+v", exp, tt.want)
			}
			path := filepath.Join("testdata", "odm", tt.golden)
			if *update {
				if err := os.WriteFile(path, body, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			golden, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGoldenBodies -update to write it)", err)
			}
			if !bytes.Equal(body, golden) {
				t.Fatalf("body differs from %s:\n%s", path, body)
			}
		})
	}
}

// TestBodyShape reads the bodies back with the ODM reader and checks every attribute the specification
// fixes, so that a golden file rewritten by mistake cannot hide a change of shape.
func TestBodyShape(t *testing.T) {
	insert, upd := goldenSends(t)
	type item struct{ oid, value, tt string }
	tests := []struct {
		name  string
		send  Send
		items []item
	}{
		{"insert", insert, []item{
			{"EX_INH.EXSTDAT", "03 NOV 2024", "Context"},
			{"EX_INH.EXSTTIM", "08:30", "Upsert"},
			{"EX_INH.EXPNUM", "2", "Upsert"},
			{"EX_INH.EXNUM", "2", "Upsert"},
			{"EX_INH.EXMODE", "Video", "Upsert"},
			{"EX_INH.EXFOOD", "", "Upsert"},
		}},
		{"update", upd, []item{
			{"EX_INH.EXSTDAT", "03 NOV 2024", "Context"},
			{"EX_INH.EXNUM", "0", "Upsert"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, _, err := testMapping.Body(Header{FileOID: "f-1", Created: testCreated}, []Send{tt.send})
			if err != nil {
				t.Fatal(err)
			}
			for _, attr := range []string{`FileType="Transactional"`, `ODMVersion="1.3"`, `FileOID="f-1"`,
				`CreationDateTime="2024-11-03T09:12:44"`, `encoding="UTF-8"`} {
				if !bytes.Contains(body, []byte(attr)) {
					t.Errorf("body lacks %s", attr)
				}
			}
			rows := readRows(t, body)
			containers := map[odm.Kind]string{}
			var items []item
			for _, r := range rows {
				if r.Study != "ALPHA(Prod)" || r.MetaDataVersion != "1" || r.Subject != "101-001" || r.Site != "101" {
					t.Errorf("row subject context %+v", r)
				}
				if r.Kind != odm.KindSubject && (r.Event != "SM" || r.EventRepeat != "1") {
					t.Errorf("row event context %+v", r)
				}
				if r.Kind != odm.KindSubject && r.Kind != odm.KindEvent && (r.Form != "EX_INH" || r.FormRepeat != "") {
					t.Errorf("row form context %+v", r)
				}
				if r.Kind == odm.KindItem {
					if r.ItemGroup != "EX_INH" || r.ItemGroupRepeat != "@CONTEXT" {
						t.Errorf("item group %s repeat %s", r.ItemGroup, r.ItemGroupRepeat)
					}
					items = append(items, item{r.Item, r.Value, r.TransactionType})
					continue
				}
				containers[r.Kind] = r.TransactionType
			}
			wantContainers := map[odm.Kind]string{odm.KindSubject: "Update", odm.KindEvent: "Update",
				odm.KindForm: "Update", odm.KindItemGroup: "Upsert"}
			if !reflect.DeepEqual(containers, wantContainers) {
				t.Errorf("container transaction types %v, want %v", containers, wantContainers)
			}
			if !reflect.DeepEqual(items, tt.items) {
				t.Errorf("items\n got %v\nwant %v", items, tt.items)
			}
		})
	}
}

func readRows(t *testing.T, body []byte) []odm.Row {
	t.Helper()
	rd := odm.NewReader(bytes.NewReader(body))
	var rows []odm.Row
	for {
		r, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			t.Fatalf("reading the body back: %v\n%s", err, body)
		}
		rows = append(rows, *r.Clone())
	}
}

// TestBodySeveralLines: one subject's log lines of two forms in one POST, grouped by form.
func TestBodySeveralLines(t *testing.T) {
	mk := func(form, date, taken string) Send {
		s, _ := Plan(LogLine{Key: Key{"101-001", form, date}, Site: "101", Values: Values{Prescribed: "2", Taken: taken}}, nil)
		return s
	}
	sends := []Send{mk("EX_INH", "2024-11-03", "2"), mk("EX_RPT", "2024-11-03", "1"), mk("EX_INH", "2024-11-04", "0")}
	body, exp, err := testMapping.Body(Header{FileOID: "f-2", Created: testCreated}, sends)
	if err != nil {
		t.Fatal(err)
	}
	if exp != (Expected{Fields: 15, LogLines: 3}) {
		t.Errorf("expected %+v", exp)
	}
	if n := bytes.Count(body, []byte("<FormData ")); n != 2 {
		t.Errorf("%d FormData, want 2 (one per form)\n%s", n, body)
	}
	var contexts []string
	for _, r := range readRows(t, body) {
		if r.Kind == odm.KindItem && r.TransactionType == "Context" {
			contexts = append(contexts, r.Form+" "+r.Value)
		}
	}
	if want := []string{"EX_INH 03 NOV 2024", "EX_INH 04 NOV 2024", "EX_RPT 03 NOV 2024"}; !reflect.DeepEqual(contexts, want) {
		t.Errorf("contexts %v, want %v", contexts, want)
	}
	validateXSD(t, "several-lines.xml", body)
}

func TestBodyErrors(t *testing.T) {
	one, _ := Plan(LogLine{Key: Key{"101-001", "EX_INH", "2024-11-03"}, Site: "101", Values: Values{Taken: "1"}}, nil)
	other := one
	other.Key.Subject = "101-002"
	otherSite := one
	otherSite.Site = "102"
	empty := one
	empty.Items = nil
	badDate := one
	badDate.Key.StartDate = "03/11/2024"
	huge := make([]Send, 0, 3000)
	for i := range 3000 {
		s := one
		s.Key.StartDate = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format(time.DateOnly)
		s.Items = []Item{{ItemMode, strings.Repeat("m", 50)}, {ItemTaken, "1"}, {ItemPrescribed, "1"}, {ItemWithFood, "Yes"}}
		huge = append(huge, s)
	}
	tests := []struct {
		name  string
		sends []Send
		want  error
		text  string
	}{
		{"no send", nil, ErrNothingToSend, "nothing to send"},
		{"two subjects", []Send{one, other}, ErrSubjects, "101-001 at site 101 and 101-002 at site 101"},
		{"two sites", []Send{one, otherSite}, ErrSubjects, "one POST carries one subject"},
		{"a send without items", []Send{one, empty}, ErrNothingToSend, "log line 101-001 EX_INH 2024-11-03"},
		{"a start date that is not a date", []Send{badDate}, nil, `start date "03/11/2024"`},
		{"over a million bytes", huge, ErrTooLarge, "bytes for subject 101-001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, _, err := testMapping.Body(Header{FileOID: "f", Created: testCreated}, tt.sends)
			if err == nil || body != nil {
				t.Fatalf("Body gave %d bytes and error %v", len(body), err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v is not %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q does not say %q", err, tt.text)
			}
		})
	}
}

// TestBodyJustUnderTheLimit: the limit is RWS's, 1,000,000 bytes; a body of fewer is sent.
func TestBodyJustUnderTheLimit(t *testing.T) {
	var sends []Send
	for i := 0; ; i++ {
		s, _ := Plan(LogLine{Key: Key{"101-001", "EX_INH", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format(time.DateOnly)},
			Site: "101", Values: Values{Taken: "1"}}, nil)
		body, _, err := testMapping.Body(Header{FileOID: "f", Created: testCreated}, append(sends, s))
		if errors.Is(err, ErrTooLarge) {
			if len(sends) == 0 {
				t.Fatal("a single line is too large")
			}
			body, _, err = testMapping.Body(Header{FileOID: "f", Created: testCreated}, sends)
			if err != nil || len(body) > MaxBody || len(body) < MaxBody-1000 {
				t.Fatalf("largest accepted body: %d bytes, %v", len(body), err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		sends = append(sends, s)
		if len(body) < MaxBody-2000 { // skip ahead: lines are the same size
			per := len(body) / len(sends)
			for range (MaxBody-2000-len(body))/per - 1 {
				i++
				s, _ := Plan(LogLine{Key: Key{"101-001", "EX_INH", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format(time.DateOnly)},
					Site: "101", Values: Values{Taken: "1"}}, nil)
				sends = append(sends, s)
			}
		}
	}
}

func TestStartDateValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2024-11-03", "03 NOV 2024"}, {"2024-01-31", "31 JAN 2024"}, {"2025-05-09", "09 MAY 2025"},
		{"2024-09-10", "10 SEP 2024"}, {"2024-12-01", "01 DEC 2024"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := StartDateValue(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("%q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := StartDateValue("2024-13-01"); err == nil {
		t.Fatal("month 13 accepted")
	}
}

func TestNewFileOID(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := NewFileOID()
		if !uuid.MatchString(id) {
			t.Fatalf("%q is not a version 4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("%q twice", id)
		}
		seen[id] = true
	}
}

// TestBodiesValidateAgainstODM132 validates every golden body, and bodies with hostile values, against
// the ODM 1.3.2 schema with xmllint.
func TestBodiesValidateAgainstODM132(t *testing.T) {
	goldens, err := filepath.Glob(filepath.Join("testdata", "odm", "*.xml"))
	if err != nil || len(goldens) < 2 {
		t.Fatalf("golden bodies: %v %v", goldens, err)
	}
	for _, g := range goldens {
		body, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		validateXSD(t, filepath.Base(g), body)
	}
	hostile, _ := Plan(LogLine{Key: Key{`101 & <"002">`, "EX_INH", "2024-11-03"}, Site: "1&1",
		Values: Values{StartTime: "23:59", Prescribed: "99.99", Taken: "0", Mode: `Vidéo <&> "quoted" 'single' 日本語`, WithFood: "Ja"}}, nil)
	body, _, err := testMapping.Body(Header{FileOID: NewFileOID(), Created: time.Now()}, []Send{hostile})
	if err != nil {
		t.Fatal(err)
	}
	validateXSD(t, "hostile.xml", body)
	rows := readRows(t, body)
	if rows[0].Subject != `101 & <"002">` || rows[len(rows)-2].Value != `Vidéo <&> "quoted" 'single' 日本語` {
		t.Errorf("values did not survive: %+v", rows[len(rows)-2])
	}
}

// validateXSD fails the test unless body is valid against ../shared/conformance's ODM 1.3.2 schema.
func validateXSD(t *testing.T, name string, body []byte) {
	t.Helper()
	if out, err := xmllint(t, name, body); err != nil {
		t.Fatalf("%s is not valid ODM 1.3.2: %v\n%s\n%s", name, err, out, body)
	}
}

// xmllint validates body with xmllint against the ODM 1.3.2 schema and returns its output.
func xmllint(t *testing.T, name string, body []byte) (string, error) {
	t.Helper()
	schema := filepath.Join(conformanceDir(t), "xsd", "odm1-3-2", "ODM1-3-2.xsd")
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint is not installed (Debian: libxml2-utils); make test installs it")
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--nonet", "--noout", "--schema", schema, path).CombinedOutput()
	return string(out), err
}

// TestXSDCheckCatchesAnInvalidBody: the schema check refuses what ODM 1.3.2 does not allow, so a body
// passing it means something.
func TestXSDCheckCatchesAnInvalidBody(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("testdata", "odm", "insert.xml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, from, to string }{
		{"no MetaDataVersionOID", ` MetaDataVersionOID="1"`, ""},
		{"unknown TransactionType", `TransactionType="Context"`, `TransactionType="Contextual"`},
		{"no FileOID", ` FileOID="trialsync-test-0001"`, ""},
		{"StudyEventRepeatKey on FormData", `<FormData FormOID="EX_INH"`, `<FormData StudyEventRepeatKey="1" FormOID="EX_INH"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := bytes.Replace(golden, []byte(tt.from), []byte(tt.to), 1)
			if bytes.Equal(bad, golden) {
				t.Fatalf("%q not in the golden body", tt.from)
			}
			if out, err := xmllint(t, "bad.xml", bad); err == nil {
				t.Fatalf("xmllint accepted an invalid body:\n%s\n%s", out, bad)
			}
		})
	}
}

// conformanceDir finds shared/conformance (public ODM schemas and RWS samples, never copied into the
// repository): $TRIALSYNC_CONFORMANCE, else the nearest shared/conformance beside the repository or one of
// its parents (a worktree sits a level deeper than the main checkout).
func conformanceDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("TRIALSYNC_CONFORMANCE"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "xsd", "odm1-3-2", "ODM1-3-2.xsd")); err != nil {
			t.Fatalf("TRIALSYNC_CONFORMANCE=%s has no xsd/odm1-3-2/ODM1-3-2.xsd: %v", d, err)
		}
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		c := filepath.Join(dir, "shared", "conformance")
		if _, err := os.Stat(filepath.Join(c, "xsd", "odm1-3-2", "ODM1-3-2.xsd")); err == nil {
			return c
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("the conformance corpus (shared/conformance with the ODM 1.3.2 schema) is not beside the repository; set TRIALSYNC_CONFORMANCE to validate ODM bodies")
		}
		dir = parent
	}
}

// TestFixturesToODM: every valid record of the intake fixtures becomes a body that is valid ODM 1.3.2
// and reads back to the record's values.
func TestFixturesToODM(t *testing.T) {
	for _, name := range []string{"doses.csv", "doses.jsonl"} {
		f, err := os.Open(filepath.Join("testdata", "intake", name))
		if err != nil {
			t.Fatal(err)
		}
		entries, _, err := decodeAll(t, f, name)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Reason != "" {
				continue
			}
			t.Run(fmt.Sprintf("%s:%d", name, e.Line), func(t *testing.T) {
				send, _ := Plan(e.Record.LogLine(), nil)
				body, _, err := testMapping.Body(Header{FileOID: NewFileOID(), Created: testCreated}, []Send{send})
				if err != nil {
					t.Fatal(err)
				}
				validateXSD(t, "record.xml", body)
				got := map[string]string{}
				for _, r := range readRows(t, body) {
					if r.Kind == odm.KindItem {
						got[strings.TrimPrefix(r.Item, e.Record.Form+".")] = r.Value
					}
				}
				date, _ := StartDateValue(e.Record.StartDate)
				want := map[string]string{ItemStartDate: date, ItemStartTime: e.Record.StartTime,
					ItemPrescribed: e.Record.Prescribed, ItemTaken: e.Record.Taken, ItemMode: e.Record.Mode,
					ItemWithFood: e.Record.WithFood}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("read back %v, want %v", got, want)
				}
			})
		}
	}
}
