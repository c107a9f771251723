package exposure

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseStatistics(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Statistics
	}{
		{"all five", "Rave objects touched: Subjects=0; Folders=0; Forms=0; Fields=3; LogLines=1",
			Statistics{Given: true, Counts: map[string]int{"Subjects": 0, "Folders": 0, "Forms": 0, "Fields": 3, "LogLines": 1}}},
		{"an object name RWS added", "Rave objects touched: Subjects=0; Folders=0; Forms=0; Unknown=10; Fields=0; LogLines=0",
			Statistics{Given: true, Counts: map[string]int{"Subjects": 0, "Folders": 0, "Forms": 0, "Unknown": 10, "Fields": 0, "LogLines": 0}}},
		{"N/A", "N/A", Statistics{}},
		{"empty", "", Statistics{}},
		{"odd spacing and a trailing semicolon", "  Rave objects touched:Fields = 2 ;LogLines=1; ",
			Statistics{Given: true, Counts: map[string]int{"Fields": 2, "LogLines": 1}}},
		{"unreadable parts kept", "Rave objects touched: Fields=two; LogLines=1; Forms; =3; Subjects=-1",
			Statistics{Given: true, Counts: map[string]int{"LogLines": 1}, Unreadable: []string{"Fields=two", "Forms", "=3", "Subjects=-1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseStatistics(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestCompareStatistics(t *testing.T) {
	tests := []struct {
		name  string
		exp   Expected
		stats string
		want  string // "" for consistent, else a part of the mismatch
	}{
		{"as carried", Expected{Fields: 5, LogLines: 1}, "Rave objects touched: Subjects=0; Folders=0; Forms=1; Fields=5; LogLines=1", ""},
		{"fewer fields (empty items untouched)", Expected{Fields: 5, LogLines: 1}, "Rave objects touched: Subjects=0; Folders=0; Forms=0; Fields=3; LogLines=1", ""},
		{"unknown object names ignored", Expected{Fields: 1, LogLines: 1}, "Rave objects touched: Subjects=0; Widgets=7; Fields=1; LogLines=0", ""},
		{"more fields than carried", Expected{Fields: 1, LogLines: 1}, "Rave objects touched: Subjects=0; Fields=4; LogLines=0",
			"Rave reports 4 fields touched, the send carried 1"},
		{"more log lines than carried", Expected{Fields: 5, LogLines: 1}, "Rave objects touched: Fields=5; LogLines=2",
			"Rave reports 2 log lines touched, the send carried 1"},
		{"a subject touched", Expected{Fields: 1, LogLines: 1}, "Rave objects touched: Subjects=1; Fields=1; LogLines=0",
			"1 subject(s) touched"},
		{"nothing touched on a first attempt", Expected{Fields: 2, LogLines: 1}, "Rave objects touched: Subjects=0; Folders=0; Forms=0; Fields=0; LogLines=0",
			"Rave reports nothing touched, the send carried 2 fields"},
		{"nothing touched on a resent POST", Expected{Fields: 2, LogLines: 1, Resent: true},
			"Rave objects touched: Subjects=0; Folders=0; Forms=0; Fields=0; LogLines=0", ""},
		{"N/A is shown", Expected{Fields: 2, LogLines: 1}, "N/A", "could not be checked"},
		{"unreadable part is shown", Expected{Fields: 2, LogLines: 1}, "Rave objects touched: Fields=2; LogLines=x", `could not be read (LogLines=x)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.exp.Compare(ParseStatistics(tt.stats))
			switch {
			case tt.want == "" && got != "":
				t.Fatalf("mismatch %q for a consistent answer", got)
			case tt.want != "" && !strings.Contains(got, tt.want):
				t.Fatalf("mismatch %q does not say %q", got, tt.want)
			}
		})
	}
}

// TestStatisticsOfRealAnswers reads the SuccessStatistics of public RWS answers (the conformance corpus).
func TestStatisticsOfRealAnswers(t *testing.T) {
	dir := filepath.Join(conformanceDir(t), "rws-responses")
	tests := []struct {
		file string
		want map[string]int
	}{
		{"response_success_stats.xml", map[string]int{"Subjects": 1, "Folders": 2, "Forms": 3, "Fields": 4, "LogLines": 5}},
		{"post_response_unknown_stat_key.xml", map[string]int{"Subjects": 0, "Folders": 0, "Forms": 0, "Unknown": 10, "Fields": 0, "LogLines": 0}},
		{"post_error_RWS00024_subject_exists.xml", map[string]int{"Subjects": 0, "Folders": 0, "Forms": 0, "Fields": 0, "LogLines": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var resp struct {
				Stats string `xml:"SuccessStatistics,attr"`
			}
			if err := xml.Unmarshal(raw, &resp); err != nil {
				t.Fatal(err)
			}
			st := ParseStatistics(resp.Stats)
			if !st.Given || len(st.Unreadable) > 0 || !reflect.DeepEqual(st.Counts, tt.want) {
				t.Fatalf("%+v, want %v", st, tt.want)
			}
		})
	}
}
