package exposure

// The intake field names, exactly as `exposure import` (CSV header or JSON Lines keys) and the intake
// endpoint spell them, in the order the contract lists them.
const (
	FieldSubject    = "subject"
	FieldSite       = "site"
	FieldDrug       = "drug"
	FieldStartDate  = "start_date"
	FieldStartTime  = "start_time"
	FieldPrescribed = "tablets_prescribed"
	FieldTaken      = "tablets_taken"
	FieldMode       = "mode"
	FieldWithFood   = "with_food"
)

// Fields lists every intake field in contract order. A CSV header must name each exactly once (in any
// order) and nothing else; a JSON object must carry each key exactly once.
var Fields = []string{FieldSubject, FieldSite, FieldDrug, FieldStartDate, FieldStartTime,
	FieldPrescribed, FieldTaken, FieldMode, FieldWithFood}

// Input is one dose record as it arrived, every field as text, before any check. The GUI's entry form
// fills one directly; the file and HTTP intakes decode into it.
type Input struct {
	Subject    string `json:"subject"`
	Site       string `json:"site"`
	Drug       string `json:"drug"`
	StartDate  string `json:"start_date"`
	StartTime  string `json:"start_time"`
	Prescribed string `json:"tablets_prescribed"`
	Taken      string `json:"tablets_taken"`
	Mode       string `json:"mode"`
	WithFood   string `json:"with_food"`
}

// set assigns the named field; it reports false for a name that is not an intake field.
func (in *Input) set(name, value string) bool {
	switch name {
	case FieldSubject:
		in.Subject = value
	case FieldSite:
		in.Site = value
	case FieldDrug:
		in.Drug = value
	case FieldStartDate:
		in.StartDate = value
	case FieldStartTime:
		in.StartTime = value
	case FieldPrescribed:
		in.Prescribed = value
	case FieldTaken:
		in.Taken = value
	case FieldMode:
		in.Mode = value
	case FieldWithFood:
		in.WithFood = value
	default:
		return false
	}
	return true
}

// Record is a dose record that passed every check: surrounding spaces trimmed, each field within its
// format, and the drug resolved to the Rave form its log lines go to. Only a Record is ever queued, so
// nothing half-valid reaches the store. It is a plain value that encodes to JSON, so the queue can keep it.
type Record struct {
	Subject    string `json:"subject"`
	Site       string `json:"site"`
	Drug       string `json:"drug"`
	Form       string `json:"form"`               // FormOID of the drug, from [exposure] drugs
	StartDate  string `json:"start_date"`         // YYYY-MM-DD, a real calendar date
	StartTime  string `json:"start_time"`         // HH:MM on a 24-hour clock, or ""
	Prescribed string `json:"tablets_prescribed"` // text $5.2
	Taken      string `json:"tablets_taken"`      // text $5.2, "0" allowed
	Mode       string `json:"mode"`               // mode of observation, at most 50 characters; "" when StartTime is ""
	WithFood   string `json:"with_food"`          // at most 3 characters
}

// LogLine returns the Rave log line this record describes: one per subject, form and start date, whose
// desired values are the record's.
func (r Record) LogLine() LogLine {
	return LogLine{
		Key:  Key{Subject: r.Subject, Form: r.Form, StartDate: r.StartDate},
		Site: r.Site,
		Drug: r.Drug,
		Values: Values{StartTime: r.StartTime, Prescribed: r.Prescribed, Taken: r.Taken,
			Mode: r.Mode, WithFood: r.WithFood},
	}
}
