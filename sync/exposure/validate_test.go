package exposure

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

var testRules = Rules{Drugs: map[string]string{"Isoniazid": "EX_INH", "Rifapentine": "EX_RPT"}}

// goodInput is a valid record; each case below breaks one thing.
func goodInput() Input {
	return Input{Subject: "101-001", Site: "101", Drug: "Isoniazid", StartDate: "2024-11-03",
		StartTime: "08:30", Prescribed: "2", Taken: "2", Mode: "Video", WithFood: "Yes"}
}

func TestCheckAccepts(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Input)
		want func(*Record)
	}{
		{"complete record", func(*Input) {}, func(*Record) {}},
		{"taken may be 0", func(in *Input) { in.Taken = "0" }, func(r *Record) { r.Taken = "0" }},
		{"two decimals", func(in *Input) { in.Prescribed = "99.99" }, func(r *Record) { r.Prescribed = "99.99" }},
		{"five digits", func(in *Input) { in.Taken = "12345" }, func(r *Record) { r.Taken = "12345" }},
		{"one decimal kept as written", func(in *Input) { in.Taken = "2.0" }, func(r *Record) { r.Taken = "2.0" }},
		{"empty time and mode", func(in *Input) { in.StartTime, in.Mode = "", "" }, func(r *Record) { r.StartTime, r.Mode = "", "" }},
		{"empty with food", func(in *Input) { in.WithFood = "" }, func(r *Record) { r.WithFood = "" }},
		{"midnight and last minute", func(in *Input) { in.StartTime = "23:59" }, func(r *Record) { r.StartTime = "23:59" }},
		{"surrounding spaces trimmed", func(in *Input) { in.Subject, in.Drug = "  101-001 ", " Isoniazid\u00a0" },
			func(*Record) {}},
		{"leap day", func(in *Input) { in.StartDate = "2024-02-29" }, func(r *Record) { r.StartDate = "2024-02-29" }},
		{"mode of 50 characters", func(in *Input) { in.Mode = strings.Repeat("é", 50) }, func(r *Record) { r.Mode = strings.Repeat("é", 50) }},
		{"site of 3 non-ASCII characters", func(in *Input) { in.Site = "ÅÄÖ" }, func(r *Record) { r.Site = "ÅÄÖ" }},
		{"second drug", func(in *Input) { in.Drug = "Rifapentine" }, func(r *Record) { r.Drug, r.Form = "Rifapentine", "EX_RPT" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := goodInput()
			tt.edit(&in)
			got, err := testRules.Check(in)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			want := Record{Subject: "101-001", Site: "101", Drug: "Isoniazid", Form: "EX_INH", StartDate: "2024-11-03",
				StartTime: "08:30", Prescribed: "2", Taken: "2", Mode: "Video", WithFood: "Yes"}
			tt.want(&want)
			if got != want {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestCheckRejects(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*Input)
		fields []string // fields with a problem, in order
		reason string   // part of the joined reason
	}{
		{"empty start date", func(in *Input) { in.StartDate = "" }, []string{FieldStartDate}, "start date is empty"},
		{"impossible date", func(in *Input) { in.StartDate = "2024-02-30" }, []string{FieldStartDate}, `"2024-02-30" is not a real date`},
		{"not a leap year", func(in *Input) { in.StartDate = "2023-02-29" }, []string{FieldStartDate}, "not a real date"},
		{"date in another format", func(in *Input) { in.StartDate = "03/11/2024" }, []string{FieldStartDate}, "YYYY-MM-DD"},
		{"date without zero padding", func(in *Input) { in.StartDate = "2024-1-3" }, []string{FieldStartDate}, "YYYY-MM-DD"},
		{"hour 24", func(in *Input) { in.StartTime = "24:00" }, []string{FieldStartTime}, "24-hour clock"},
		{"minute 60", func(in *Input) { in.StartTime = "08:60" }, []string{FieldStartTime}, "24-hour clock"},
		{"single-digit hour", func(in *Input) { in.StartTime = "8:30" }, []string{FieldStartTime}, "HH:MM"},
		{"seconds", func(in *Input) { in.StartTime = "08:30:00" }, []string{FieldStartTime}, "HH:MM"},
		{"am/pm", func(in *Input) { in.StartTime = "08:30 PM" }, []string{FieldStartTime}, "HH:MM"},
		{"mode without time", func(in *Input) { in.StartTime = "" }, []string{FieldMode}, "mode of observation must be empty when the start time is empty"},
		{"mode too long", func(in *Input) { in.Mode = strings.Repeat("m", 51) }, []string{FieldMode}, "51 characters long, at most 50"},
		{"with food too long", func(in *Input) { in.WithFood = "Yes!" }, []string{FieldWithFood}, "at most 3"},
		{"site of 2", func(in *Input) { in.Site = "10" }, []string{FieldSite}, `site code "10" must be 3 characters, not 2`},
		{"site of 4", func(in *Input) { in.Site = "1010" }, []string{FieldSite}, "must be 3 characters, not 4"},
		{"empty site", func(in *Input) { in.Site = " " }, []string{FieldSite}, "site code is empty"},
		{"unknown drug", func(in *Input) { in.Drug = "Aspirin" }, []string{FieldDrug}, `drug "Aspirin" is not one of the study's drugs (Isoniazid, Rifapentine)`},
		{"drug in another case", func(in *Input) { in.Drug = "isoniazid" }, []string{FieldDrug}, "not one of the study's drugs"},
		{"empty subject", func(in *Input) { in.Subject = "" }, []string{FieldSubject}, "subject is empty"},
		{"empty tablets taken", func(in *Input) { in.Taken = "" }, []string{FieldTaken}, "tablets taken is empty"},
		{"three decimals", func(in *Input) { in.Taken = "1.255" }, []string{FieldTaken}, "more than 2 decimals"},
		{"six characters", func(in *Input) { in.Prescribed = "123456" }, []string{FieldPrescribed}, "longer than 5 characters"},
		{"negative", func(in *Input) { in.Taken = "-1" }, []string{FieldTaken}, "not a number of tablets"},
		{"leading point", func(in *Input) { in.Taken = ".5" }, []string{FieldTaken}, "not a number of tablets"},
		{"trailing point", func(in *Input) { in.Taken = "2." }, []string{FieldTaken}, "not a number of tablets"},
		{"exponent", func(in *Input) { in.Taken = "1e3" }, []string{FieldTaken}, "not a number of tablets"},
		{"words", func(in *Input) { in.Prescribed = "two" }, []string{FieldPrescribed}, "not a number of tablets"},
		{"comma decimal", func(in *Input) { in.Taken = "1,5" }, []string{FieldTaken}, "not a number of tablets"},
		{"line break in a field", func(in *Input) { in.Mode = "Vid\neo" }, []string{FieldMode}, "control character"},
		{"invalid UTF-8", func(in *Input) { in.Subject = "101-\xff" }, []string{FieldSubject}, "not valid UTF-8"},
		{"several problems at once", func(in *Input) { in.Site, in.StartDate, in.Taken = "1", "", "x" },
			[]string{FieldSite, FieldStartDate, FieldTaken}, "site code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := goodInput()
			tt.edit(&in)
			rec, err := testRules.Check(in)
			var inv *Invalid
			if !errors.As(err, &inv) {
				t.Fatalf("Check accepted %+v as %+v (err %v)", in, rec, err)
			}
			if rec != (Record{}) {
				t.Errorf("a refused record came back non-empty: %+v", rec)
			}
			var fields []string
			for _, p := range inv.Problems {
				fields = append(fields, p.Field)
			}
			if !reflect.DeepEqual(fields, tt.fields) {
				t.Errorf("problem fields %v, want %v (%v)", fields, tt.fields, err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("reason %q does not say %q", err, tt.reason)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("reason is not one line: %q", err)
			}
		})
	}
}

func TestCheckQuotesLongValuesShort(t *testing.T) {
	in := goodInput()
	in.Drug = strings.Repeat("x", 150)
	_, err := testRules.Check(in)
	if err == nil || len(err.Error()) > 150 {
		t.Fatalf("reason should quote a long value shortened: %v", err)
	}
}
