package exposure

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Field limits from the data transfer specification.
const (
	SiteLen       = 3  // a site code is exactly 3 characters
	MaxModeLen    = 50 // mode of observation
	MaxWithFood   = 3  // with food
	TabletsWidth  = 5  // tablets are text $5.2: at most 5 characters…
	TabletsDigits = 2  // …with at most 2 decimals
	maxTextLen    = 200
)

// Rules are the study's settings a record is checked against.
type Rules struct {
	// Drugs maps a drug name, as SureAdhere reports it, to the Rave FormOID of its log lines
	// ([exposure] drugs).
	Drugs map[string]string
}

// Problem is what is wrong with one field of a record, in words a site coordinator can act on.
type Problem struct {
	Field  string // intake field name (FieldSubject, …)
	Reason string
}

// Invalid is the error Check returns for a record it refuses: every problem found, one per field at most,
// so a person can fix them all at once (the entry form shows each beside its field).
type Invalid struct {
	Problems []Problem
}

// Error joins the reasons into one line.
func (e *Invalid) Error() string {
	reasons := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		reasons[i] = p.Reason
	}
	return strings.Join(reasons, "; ")
}

// Check validates one dose record and returns it trimmed, with its drug resolved to a FormOID. It refuses
// the record as a whole (an *Invalid) if any field is wrong.
//
// The reading of "$5.2" for the tablet counts: in Rave Architect a format "$n" is text of at most n
// characters and "x.y" a number with x digits before and y after the decimal point; the specification
// combines them the way SAS reads w.d (w is the whole width, decimal point included, d the decimals). So
// the value is text of at most 5 characters that is an unsigned decimal number with at most 2 decimals:
// "2", "0", "12.5", "99.99" and "12345" pass; "-1", "1e3", ".5", "2.", "1.255" and "123456" do not. The
// text is kept as given ("2.0" stays "2.0"), because Rave stores it as text.
func (r Rules) Check(in Input) (Record, error) {
	rec := Record{
		Subject: clean(in.Subject), Site: clean(in.Site), Drug: clean(in.Drug),
		StartDate: clean(in.StartDate), StartTime: clean(in.StartTime),
		Prescribed: clean(in.Prescribed), Taken: clean(in.Taken),
		Mode: clean(in.Mode), WithFood: clean(in.WithFood),
	}
	var probs []Problem
	add := func(field, format string, args ...any) {
		probs = append(probs, Problem{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	for _, f := range []struct{ name, label, v string }{
		{FieldSubject, "subject", rec.Subject}, {FieldSite, "site", rec.Site}, {FieldDrug, "drug", rec.Drug},
		{FieldStartDate, "start date", rec.StartDate}, {FieldStartTime, "start time", rec.StartTime},
		{FieldPrescribed, "tablets prescribed", rec.Prescribed}, {FieldTaken, "tablets taken", rec.Taken},
		{FieldMode, "mode of observation", rec.Mode}, {FieldWithFood, "with food", rec.WithFood},
	} {
		if reason := textProblem(f.v); reason != "" {
			add(f.name, "%s %s", f.label, reason)
		}
	}
	if len(probs) > 0 {
		// Text that cannot be stored or sent at all: the other checks would only repeat it.
		return Record{}, &Invalid{Problems: probs}
	}

	if rec.Subject == "" {
		add(FieldSubject, "subject is empty")
	}
	switch n := utf8.RuneCountInString(rec.Site); {
	case n == 0:
		add(FieldSite, "site code is empty")
	case n != SiteLen:
		add(FieldSite, "site code %s must be %d characters, not %d", quote(rec.Site), SiteLen, n)
	}
	if rec.Drug == "" {
		add(FieldDrug, "drug is empty")
	} else if form, ok := r.Drugs[rec.Drug]; ok {
		rec.Form = form
	} else {
		add(FieldDrug, "drug %s is not one of the study's drugs (%s)", quote(rec.Drug),
			strings.Join(slices.Sorted(maps.Keys(r.Drugs)), ", "))
	}
	if rec.StartDate == "" {
		add(FieldStartDate, "start date is empty")
	} else if _, err := time.Parse(time.DateOnly, rec.StartDate); err != nil || len(rec.StartDate) != len(time.DateOnly) {
		add(FieldStartDate, "start date %s is not a real date written YYYY-MM-DD (for example 2024-11-03)", quote(rec.StartDate))
	}
	if rec.StartTime != "" && !isClock(rec.StartTime) {
		add(FieldStartTime, "start time %s is not HH:MM on a 24-hour clock (for example 08:30); leave it empty if it is not known", quote(rec.StartTime))
	}
	if reason := tabletsProblem(rec.Prescribed); reason != "" {
		add(FieldPrescribed, "tablets prescribed %s", reason)
	}
	if reason := tabletsProblem(rec.Taken); reason != "" {
		add(FieldTaken, "tablets taken %s", reason)
	}
	if n := utf8.RuneCountInString(rec.Mode); n > MaxModeLen {
		add(FieldMode, "mode of observation is %d characters long, at most %d are allowed", n, MaxModeLen)
	} else if rec.StartTime == "" && rec.Mode != "" {
		add(FieldMode, "mode of observation must be empty when the start time is empty")
	}
	if n := utf8.RuneCountInString(rec.WithFood); n > MaxWithFood {
		add(FieldWithFood, "with food %s is %d characters long, at most %d are allowed", quote(rec.WithFood), n, MaxWithFood)
	}
	if len(probs) > 0 {
		return Record{}, &Invalid{Problems: probs}
	}
	return rec, nil
}

// clean drops surrounding spaces (a spreadsheet's padding is not data).
func clean(s string) string { return strings.TrimSpace(s) }

// textProblem refuses what a one-line field can never hold and an ODM document cannot carry.
func textProblem(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8 text"
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f || c == 0xfffe || c == 0xffff {
			return "contains a control character (such as a line break or tab)"
		}
	}
	if n := utf8.RuneCountInString(s); n > maxTextLen {
		return fmt.Sprintf("is %d characters long, at most %d are allowed", n, maxTextLen)
	}
	return ""
}

// isClock reports whether s is HH:MM with 00 ≤ HH ≤ 23 and 00 ≤ MM ≤ 59.
func isClock(s string) bool {
	if len(s) != 5 || s[2] != ':' || !digits(s[:2]) || !digits(s[3:]) {
		return false
	}
	return (s[0]-'0')*10+(s[1]-'0') <= 23 && s[3] <= '5'
}

// tabletsProblem checks the $5.2 reading documented on Check; "" means the value is fine.
func tabletsProblem(s string) string {
	if s == "" {
		return "is empty"
	}
	if n := utf8.RuneCountInString(s); n > TabletsWidth {
		return fmt.Sprintf("%s is longer than %d characters", quote(s), TabletsWidth)
	}
	whole, frac, dot := strings.Cut(s, ".")
	switch {
	case !digits(whole) || (dot && !digits(frac)):
		return fmt.Sprintf("%s is not a number of tablets (for example 2 or 1.5)", quote(s))
	case len(frac) > TabletsDigits:
		return fmt.Sprintf("%s has more than %d decimals", quote(s), TabletsDigits)
	}
	return ""
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// quote shows a value in a reason, shortened so that one bad field cannot flood a message.
func quote(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		s = string(r[:max]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
