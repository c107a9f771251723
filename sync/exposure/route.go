package exposure

import (
	"fmt"
	"regexp"
	"strings"
)

// Refusal is what Rave said when it refused a POST: the fields of an RWS <Response> with
// IsTransactionSuccessful="0" (or an HTTP error without one). The caller copies them from its RWS error
// value; this package does not depend on the client.
type Refusal struct {
	Status     int    // HTTP status, 0 when unknown
	ReasonCode string // e.g. "RWS00023"
	Origin     string // ErrorOriginLocation, e.g. "/ODM/ClinicalData[1]/SubjectData[1]"
	Message    string // ErrorClientResponseMessage
}

// Category says what a refusal is about.
type Category string

// The categories of refusals.
const (
	CategorySubject   Category = "subject"    // the subject is unknown, inactive or not at that site
	CategorySite      Category = "site"       // the site is unknown to the study
	CategoryStudy     Category = "study"      // the study OID or its set-up
	CategoryForm      Category = "form"       // the form, log line or a field refused the data
	CategoryWrongDrug Category = "wrong-drug" // the drug's form is not part of this subject's treatment
	CategoryAccount   Category = "account"    // the Rave account trialsync uses
	CategorySystem    Category = "system"     // Rave itself failed, or an error nobody recognises
)

// Contact is whom the specification sends a dead message's coordinator to.
type Contact string

// The contacts of the specification's routing.
const (
	ContactClient            Contact = "the client"
	ContactMedidataAndClient Contact = "Medidata support and the client"
)

// Routing is what to do about a refusal: who to contact, whether it is urgent, and advice in words a
// site coordinator understands, shown with the dead message.
type Routing struct {
	Category Category
	Contact  Contact
	// Urgent: the record may mean a patient took a drug that is not part of their treatment arm; it goes
	// to the top of the Exposures screen, in red.
	Urgent bool
	Advice string
}

// reason is one row of the reason-code table.
type reason struct {
	category Category
	what     string // what Rave said, in plain words
}

// reasons are the RWS reason codes a POST of clinical data can come back with. Sources: the RWS
// documentation ("Working with subject data": RWS00042 "Field not authorised"), Medidata Coder's
// transmission metrics, which name the codes it sees from Rave (RWS00014 StudyNotFound, RWS00017
// SiteNotFound, RWS00019 SubjectNotActive, RWS00021 MultipleSubject, RWS00023 SubjectNotFound,
// RWS00033 FormNotFound, RWS00036 FormLocked, RWS00037 RecordNotFound, RWS00040 RecordLocked,
// RWS00044 FieldLocked, RWS00047 DataNotInDictionary, RWS00048 FieldFrozen, RWS00049 derived field
// update not supported, RWS00095 dynamic search list update not supported, RWS00097 user not
// authorised, RWS00100 ContextChange), and rwslib's and Medidata.RWS.NET's tests (RWS00005 user locked
// out, RWS00008 bad login, RWS00024 subject already exists, RWS00092 CRF version not found).
var reasons = map[string]reason{
	"RWS00005": {CategoryAccount, "the Rave account trialsync uses is locked out"},
	"RWS00008": {CategoryAccount, "Rave refused the user name and password"},
	"RWS00097": {CategoryAccount, "the Rave account is not authorised for this study"},
	"RWS00014": {CategoryStudy, "Rave does not know the study"},
	"RWS00092": {CategoryStudy, "Rave found no CRF version for the study"},
	"RWS00017": {CategorySite, "Rave does not know the site"},
	"RWS00019": {CategorySubject, "the subject is not active in Rave"},
	"RWS00021": {CategorySubject, "Rave matched more than one subject"},
	"RWS00023": {CategorySubject, "Rave does not know the subject"},
	"RWS00024": {CategorySubject, "Rave says the subject already exists"},
	"RWS00033": {CategoryForm, "Rave does not have this form for the subject"},
	"RWS00036": {CategoryForm, "the form is locked in Rave"},
	"RWS00037": {CategoryForm, "Rave could not find the record"},
	"RWS00040": {CategoryForm, "the record is locked in Rave"},
	"RWS00042": {CategoryForm, "the Rave account may not enter this field"},
	"RWS00044": {CategoryForm, "the field is locked in Rave"},
	"RWS00047": {CategoryForm, "a value is not in the field's dictionary"},
	"RWS00048": {CategoryForm, "the field is frozen in Rave"},
	"RWS00049": {CategoryForm, "the field is derived and cannot be entered"},
	"RWS00095": {CategoryForm, "the field's search list cannot be updated this way"},
	"RWS00100": {CategoryForm, "the log line's context (start date) did not match as expected"},
}

// wrongDrugWords are phrases of a refusal message that mean the drug or arm does not fit the patient.
var wrongDrugWords = regexp.MustCompile(`(?i)\b(wrong|incorrect|invalid|not allowed|not permitted|not assigned|does not match|mismatch)\b.*\b(drug|arm|regimen|treatment|medication)\b|\b(drug|arm|regimen|treatment|medication)\b.*\b(wrong|incorrect|not allowed|not permitted|not assigned|does not match|mismatch)\b`)

// Route classifies a refusal the way the data transfer specification routes dead messages: subject,
// site and form errors go to the client, system errors to Medidata support and the client. A form that
// Rave does not have for the subject in the exposure folder (RWS00033, or a refusal at the FormData)
// means the drug is not part of the subject's arm, and so does a message saying the drug or arm is wrong:
// those are urgent, because a patient may have taken the wrong drug.
func Route(r Refusal) Routing {
	code := strings.ToUpper(strings.TrimSpace(r.ReasonCode))
	level := originLevel(r.Origin)
	row, known := reasons[code]
	cat := row.category
	what := row.what
	if !known {
		cat, what = categoryOf(r.Status, level)
	}
	if wrongDrugWords.MatchString(r.Message) || (code == "RWS00033" && (level == "FormData" || level == "")) ||
		(cat == CategoryForm && !known && level == "FormData") {
		cat, what = CategoryWrongDrug, "Rave refused the dose for this drug's form: the drug may not be part of the subject's treatment arm"
	}
	rt := Routing{Category: cat, Contact: ContactClient}
	if cat == CategorySystem {
		rt.Contact = ContactMedidataAndClient
	}
	rt.Urgent = cat == CategoryWrongDrug
	rt.Advice = advice(rt, what, r)
	return rt
}

// categoryOf classifies a refusal without a known reason code by where in the document Rave found the
// problem, or by its HTTP status.
func categoryOf(status int, level string) (Category, string) {
	switch level {
	case "SubjectData":
		return CategorySubject, "Rave refused the subject"
	case "SiteRef":
		return CategorySite, "Rave refused the site"
	case "ClinicalData":
		return CategoryStudy, "Rave refused the study"
	case "StudyEventData", "FormData", "ItemGroupData", "ItemData":
		return CategoryForm, "Rave refused the dose record's form or one of its fields"
	}
	switch {
	case status == 401 || status == 403:
		return CategoryAccount, "Rave refused the account trialsync uses"
	case status >= 500 || status == 0:
		return CategorySystem, "Rave failed to process the dose record"
	}
	return CategorySystem, "Rave refused the dose record for a reason trialsync does not recognise"
}

// originLevel returns the innermost element named by an ErrorOriginLocation such as
// "/ODM/ClinicalData[1]/SubjectData[1]/StudyEventData[1]/FormData[1]", without its index.
func originLevel(origin string) string {
	origin = strings.TrimRight(strings.TrimSpace(origin), "/")
	if origin == "" {
		return ""
	}
	last := origin[strings.LastIndexByte(origin, '/')+1:]
	if i := strings.IndexByte(last, '['); i >= 0 {
		last = last[:i]
	}
	if i := strings.IndexByte(last, ':'); i >= 0 { // a prefixed name
		last = last[i+1:]
	}
	return last
}

// advice writes the sentence shown with a dead message.
func advice(rt Routing, what string, r Refusal) string {
	var b strings.Builder
	if rt.Urgent {
		b.WriteString("Urgent: ")
	}
	b.WriteString(what)
	b.WriteString(". ")
	switch rt.Category {
	case CategoryWrongDrug:
		b.WriteString("Check with the client today that the patient received the right drug for their arm; the dose stays unsent until you retry or discard it.")
	case CategoryAccount:
		b.WriteString("Check the Rave password saved in trialsync (trialsync creds set rave.password); if it is right, contact the client to unlock or authorise the account.")
	case CategorySystem:
		b.WriteString("Contact Medidata support and the client, quoting the reference below; retry once they confirm Rave is working.")
	default:
		b.WriteString("Contact the client to correct it in Rave or in the study set-up, then retry.")
	}
	var ref []string
	if r.ReasonCode != "" {
		ref = append(ref, "code "+r.ReasonCode)
	}
	if r.Origin != "" {
		ref = append(ref, "at "+r.Origin)
	}
	if r.Message != "" {
		ref = append(ref, fmt.Sprintf("Rave said %q", r.Message))
	}
	if len(ref) > 0 {
		b.WriteString(" (")
		b.WriteString(strings.Join(ref, ", "))
		b.WriteString(")")
	}
	return b.String()
}
