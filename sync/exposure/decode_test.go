package exposure

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

// want is one expected entry: the record's subject when valid, or a part of the rejection reason.
type want struct {
	line    int
	subject string // valid record
	reason  string // rejected record
}

func decodeAll(t *testing.T, r io.Reader, source string) ([]Entry, Format, error) {
	t.Helper()
	d, err := NewDecoder(r, source, testRules)
	if err != nil {
		return nil, 0, err
	}
	var out []Entry
	for {
		e, err := d.Next()
		if errors.Is(err, io.EOF) {
			return out, d.Format(), nil
		}
		if err != nil {
			return out, d.Format(), err
		}
		out = append(out, e)
	}
}

func checkEntries(t *testing.T, got []Entry, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		for _, e := range got {
			t.Logf("line %d: %q %q", e.Line, e.Record.Subject, e.Reason)
		}
		t.Fatalf("%d entries, want %d", len(got), len(wants))
	}
	for i, w := range wants {
		e := got[i]
		if e.Line != w.line {
			t.Errorf("entry %d: line %d, want %d (%q %q)", i, e.Line, w.line, e.Record.Subject, e.Reason)
		}
		switch {
		case w.subject != "" && (e.Reason != "" || e.Record.Subject != w.subject):
			t.Errorf("line %d: want valid record %s, got %+v reason %q", e.Line, w.subject, e.Record, e.Reason)
		case w.reason != "" && !strings.Contains(e.Reason, w.reason):
			t.Errorf("line %d: reason %q does not say %q", e.Line, e.Reason, w.reason)
		case w.reason != "" && e.Record != (Record{}):
			t.Errorf("line %d: a rejected entry carries a record %+v", e.Line, e.Record)
		}
	}
}

func TestDecodeFixtures(t *testing.T) {
	tests := []struct {
		file   string
		format Format
		wants  []want
	}{
		{"doses.csv", FormatCSV, []want{
			{line: 2, subject: "101-001"},
			{line: 3, subject: "101-002"},
			{line: 4, subject: "101-003"},
			{line: 5, reason: "mode of observation contains a control character"},
			{line: 7, subject: "101-005"},
			{line: 8, reason: `site code "1010" must be 3 characters`},
			{line: 10, reason: "the row has 7 fields, the header has 9"},
			{line: 12, subject: "101-008"},
			{line: 13, reason: `a quote (") in an unquoted field (line 13`},
			{line: 14, subject: "101-010"},
		}},
		{"doses.jsonl", FormatJSONLines, []want{
			{line: 1, subject: "101-001"},
			{line: 2, subject: "101-002"},
			{line: 4, reason: `unknown field(s) "dose_id"`},
			{line: 5, reason: "missing field(s) start_time"},
			{line: 6, reason: "not a JSON object"},
			{line: 7, reason: "not valid JSON"},
			{line: 8, reason: "field site appears twice"},
			{line: 9, reason: "field tablets_prescribed must be text, a number or null"},
			{line: 10, reason: "more than one JSON value"},
			{line: 11, subject: "101-009"},
			{line: 12, reason: "mode of observation must be empty when the start time is empty"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", "intake", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, format, err := decodeAll(t, f, tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if format != tt.format {
				t.Errorf("format %v, want %v", format, tt.format)
			}
			checkEntries(t, got, tt.wants)
		})
	}
}

// TestDecodeValuesFromJSON: numbers are kept as written and null is empty.
func TestDecodeValuesFromJSON(t *testing.T) {
	got, _, err := decodeAll(t, strings.NewReader(
		`{"subject":"101-002","site":101,"drug":"Isoniazid","start_date":"2024-11-03","start_time":null,"tablets_prescribed":1.50,"tablets_taken":0,"mode":null,"with_food":"No"}`), "x.jsonl")
	if err != nil || len(got) != 1 || got[0].Reason != "" {
		t.Fatalf("%v %+v", err, got)
	}
	want := Record{Subject: "101-002", Site: "101", Drug: "Isoniazid", Form: "EX_INH", StartDate: "2024-11-03",
		Prescribed: "1.50", Taken: "0", WithFood: "No"}
	if got[0].Record != want {
		t.Fatalf("got  %+v\nwant %+v", got[0].Record, want)
	}
}

func TestDecodeLineNumbers(t *testing.T) {
	row := "101-001,101,Isoniazid,2024-11-03,08:30,2,2,Video,Yes"
	obj := `{"subject":"101-001","site":"101","drug":"Isoniazid","start_date":"2024-11-03","start_time":"08:30","tablets_prescribed":"2","tablets_taken":"2","mode":"Video","with_food":"Yes"}`
	header := strings.Join(Fields, ",")
	tests := []struct {
		name  string
		input string
		lines []int
	}{
		{"blank lines before the CSV header", "\n\n  \n" + header + "\n" + row + "\n", []int{5}},
		{"CRLF CSV", header + "\r\n" + row + "\r\n" + row + "\r\n", []int{2, 3}},
		{"quoted line breaks in several fields", header + "\n" +
			`"101-001",101,Isoniazid,2024-11-03,08:30,2,2,"a` + "\n" + `b","c` + "\n\n" + `d"` + "\n" + row + "\n", []int{2, 6}},
		{"CSV without a final line break", header + "\n" + row, []int{2}},
		{"blank lines before JSON Lines", "\r\n\n" + obj + "\n\n" + obj + "\n", []int{3, 5}},
		{"BOM then JSON Lines", "\ufeff" + obj + "\n" + obj, []int{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := decodeAll(t, strings.NewReader(tt.input), "x")
			if err != nil {
				t.Fatal(err)
			}
			var lines []int
			for _, e := range got {
				lines = append(lines, e.Line)
			}
			if len(lines) != len(tt.lines) {
				t.Fatalf("lines %v, want %v (%+v)", lines, tt.lines, got)
			}
			for i := range lines {
				if lines[i] != tt.lines[i] {
					t.Fatalf("lines %v, want %v", lines, tt.lines)
				}
			}
		})
	}
}

func TestDecodeFileErrors(t *testing.T) {
	header := strings.Join(Fields, ",")
	row := "101-001,101,Isoniazid,2024-11-03,08:30,2,2,Video,Yes\n"
	tests := []struct {
		name   string
		input  io.Reader
		atNew  bool   // the error comes from NewDecoder (else from Next)
		want   string // the whole message or a part of it
		before int    // entries read before the error
	}{
		{"empty file", strings.NewReader(""), true, "f.csv: the file is empty", 0},
		{"only a BOM and blank lines", strings.NewReader("\ufeff\n \r\n"), true, "the file is empty", 0},
		{"unknown column", strings.NewReader(header + ",dose_id\n" + row), true,
			`f.csv:1: the header row is wrong: unknown column(s) "dose_id"`, 0},
		{"missing columns", strings.NewReader("subject,site,drug,start_date\n"), true,
			"missing column(s) start_time, tablets_prescribed, tablets_taken, mode, with_food", 0},
		{"duplicate column", strings.NewReader(header + ",site\n"), true, "column site appears twice", 0},
		{"header on line 3", strings.NewReader("\n\nsubject\n"), true, "f.csv:3: the header row is wrong", 0},
		{"broken header", strings.NewReader(`subj"ect,site` + "\n"), true, `f.csv:1: the header row: a quote (")`, 0},
		{"read error at the start", iotest.ErrReader(errors.New("disk gone")), true, "f.csv: reading: disk gone", 0},
		{"read error in the middle", io.MultiReader(strings.NewReader(header+"\n"+row), iotest.ErrReader(errors.New("disk gone"))),
			false, "reading: disk gone", 1},
		{"CSV record too long (an unclosed quote)", strings.NewReader(header + "\n" + row +
			`101-002,101,Isoniazid,2024-11-03,08:30,2,2,"Video` + strings.Repeat("x\n", MaxRecordBytes)), false,
			"f.csv:2: the record after this line is longer than 64 KiB", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewDecoder(tt.input, "f.csv", testRules)
			if tt.atNew {
				var fe *FileError
				if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("NewDecoder error %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for {
				_, err = d.Next()
				if err != nil {
					break
				}
				n++
			}
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Next error %v, want %q", err, tt.want)
			}
			if n != tt.before {
				t.Errorf("%d entries before the error, want %d", n, tt.before)
			}
		})
	}
}

// TestDecodeJSONLineTooLong: an overlong JSON line is one rejected record; reading goes on after it.
func TestDecodeJSONLineTooLong(t *testing.T) {
	obj := `{"subject":"101-001","site":"101","drug":"Isoniazid","start_date":"2024-11-03","start_time":"","tablets_prescribed":"2","tablets_taken":"2","mode":"","with_food":""}`
	long := `{"subject":"` + strings.Repeat("x", MaxRecordBytes) + `"}`
	for _, tail := range []string{"\n" + obj + "\n", ""} {
		got, _, err := decodeAll(t, strings.NewReader(obj+"\n"+long+tail), "f.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		wants := []want{{line: 1, subject: "101-001"}, {line: 2, reason: "longer than 64 KiB"}}
		if tail != "" {
			wants = append(wants, want{line: 3, subject: "101-001"})
		}
		checkEntries(t, got, wants)
	}
}

func TestDecodeCSVRecordJustUnderTheLimit(t *testing.T) {
	header := strings.Join(Fields, ",")
	big := strings.Repeat("y", MaxRecordBytes-200)
	input := header + "\n" + "101-001,101,Isoniazid,2024-11-03,08:30,2,2,\"" + big + "\",Yes\n" +
		"101-002,101,Isoniazid,2024-11-03,08:30,2,2,Video,Yes\n"
	got, _, err := decodeAll(t, strings.NewReader(input), "f.csv")
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, got, []want{{line: 2, reason: "mode of observation is"}, {line: 3, subject: "101-002"}})
}

func TestEntryRejection(t *testing.T) {
	e := Entry{Line: 7, Reason: "start date is empty"}
	if got := e.Rejection("doses.csv"); got != "doses.csv:7: start date is empty" {
		t.Fatal(got)
	}
}
