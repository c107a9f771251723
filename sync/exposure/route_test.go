package exposure

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRoute(t *testing.T) {
	const subj = "/ODM/ClinicalData[1]/SubjectData[1]"
	const form = subj + "/StudyEventData[1]/FormData[1]"
	const field = form + "/ItemGroupData[1]/ItemData[3]"
	tests := []struct {
		name    string
		r       Refusal
		cat     Category
		contact Contact
		urgent  bool
		advice  string // a part of the advice
	}{
		{"subject not found", Refusal{Status: 404, ReasonCode: "RWS00023", Origin: subj, Message: "Subject not found."},
			CategorySubject, ContactClient, false, "Rave does not know the subject. Contact the client"},
		{"subject not active", Refusal{ReasonCode: "RWS00019", Origin: subj}, CategorySubject, ContactClient, false, "not active"},
		{"subject already exists", Refusal{ReasonCode: "RWS00024", Origin: subj, Message: "Subject already exists."},
			CategorySubject, ContactClient, false, `Rave said "Subject already exists."`},
		{"site not found", Refusal{ReasonCode: "RWS00017", Origin: subj + "/SiteRef[1]"}, CategorySite, ContactClient, false, "does not know the site"},
		{"study not found", Refusal{ReasonCode: "RWS00014"}, CategoryStudy, ContactClient, false, "does not know the study"},
		{"CRF version not found", Refusal{ReasonCode: "RWS00092", Message: "CRF version not found"}, CategoryStudy, ContactClient, false, "CRF version"},
		{"field locked", Refusal{ReasonCode: "RWS00044", Origin: field}, CategoryForm, ContactClient, false, "field is locked"},
		{"field not authorised", Refusal{Status: 403, ReasonCode: "RWS00042", Origin: field, Message: "Field not authorised."},
			CategoryForm, ContactClient, false, "at " + field},
		{"form locked", Refusal{ReasonCode: "RWS00036", Origin: form}, CategoryForm, ContactClient, false, "form is locked"},
		{"record not found", Refusal{ReasonCode: "RWS00037", Origin: field}, CategoryForm, ContactClient, false, "could not find the record"},
		{"reason code in lower case", Refusal{ReasonCode: "rws00023"}, CategorySubject, ContactClient, false, "does not know the subject"},
		{"bad login", Refusal{Status: 401, ReasonCode: "RWS00008"}, CategoryAccount, ContactClient, false, "trialsync creds set rave.password"},
		{"locked out", Refusal{ReasonCode: "RWS00005", Message: "User is locked out."}, CategoryAccount, ContactClient, false, "locked out"},
		{"form not in the subject's arm", Refusal{ReasonCode: "RWS00033", Origin: form, Message: "Form not found."},
			CategoryWrongDrug, ContactClient, true, "Urgent: Rave refused the dose for this drug's form"},
		{"form not found without origin", Refusal{ReasonCode: "RWS00033"}, CategoryWrongDrug, ContactClient, true, "treatment arm"},
		{"message says wrong drug", Refusal{ReasonCode: "RWS00099", Origin: field, Message: "Drug does not match the subject's randomized arm"},
			CategoryWrongDrug, ContactClient, true, "received the right drug"},
		{"message says incorrect treatment", Refusal{Message: "Incorrect treatment for subject"}, CategoryWrongDrug, ContactClient, true, "Urgent"},
		{"unknown code at a subject", Refusal{ReasonCode: "RWS09999", Origin: subj}, CategorySubject, ContactClient, false, "refused the subject"},
		{"unknown code at a field", Refusal{ReasonCode: "RWS09999", Origin: field}, CategoryForm, ContactClient, false, "or one of its fields"},
		{"unknown code at the form", Refusal{ReasonCode: "RWS09999", Origin: form}, CategoryWrongDrug, ContactClient, true, "Urgent"},
		{"prefixed origin", Refusal{Origin: "/odm:ODM/odm:ClinicalData[1]/odm:SubjectData[1]/odm:SiteRef"}, CategorySite, ContactClient, false, "refused the site"},
		{"Rave down", Refusal{Status: 503, Message: "Internal Error - Web Service currently unavailable."},
			CategorySystem, ContactMedidataAndClient, false, "Contact Medidata support and the client"},
		{"no answer at all", Refusal{}, CategorySystem, ContactMedidataAndClient, false, "failed to process"},
		{"unknown refusal", Refusal{Status: 400, ReasonCode: "RWS08888"}, CategorySystem, ContactMedidataAndClient, false, "does not recognise"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Route(tt.r)
			if got.Category != tt.cat || got.Contact != tt.contact || got.Urgent != tt.urgent {
				t.Errorf("got %s / %s / urgent %v, want %s / %s / urgent %v", got.Category, got.Contact, got.Urgent, tt.cat, tt.contact, tt.urgent)
			}
			if !strings.Contains(got.Advice, tt.advice) {
				t.Errorf("advice %q does not say %q", got.Advice, tt.advice)
			}
			if strings.ContainsAny(got.Advice, "\n\r") || strings.Contains(strings.ToLower(got.Advice), "issue") {
				t.Errorf("advice is not one coordinator-facing line: %q", got.Advice)
			}
		})
	}
}

// TestWrongDrugWordsAreSpecific: ordinary refusals are not flagged urgent by their wording.
func TestWrongDrugWordsAreSpecific(t *testing.T) {
	for _, msg := range []string{"Subject already exists.", "Field not authorised.", "CRF version not found",
		"User is locked out.", "Incorrect login and password combination.", "Form not found.", "Study not found",
		"Internal Error - Web Service currently unavailable.", "Invalid date format"} {
		t.Run(msg, func(t *testing.T) {
			if wrongDrugWords.MatchString(msg) {
				t.Fatalf("%q read as a wrong drug", msg)
			}
		})
	}
}

// TestRouteRealRefusals routes the public RWS error answers of the conformance corpus.
func TestRouteRealRefusals(t *testing.T) {
	dir := filepath.Join(conformanceDir(t), "rws-responses")
	tests := []struct {
		file string
		cat  Category
	}{
		{"post_error_RWS00024_subject_exists.xml", CategorySubject},
		{"error_response_RWS00092_crf_version_not_found.xml", CategoryStudy},
		{"error_response_RWS00005_user_locked_out.xml", CategoryAccount},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var resp struct {
				Code    string `xml:"ReasonCode,attr"`
				Origin  string `xml:"ErrorOriginLocation,attr"`
				Message string `xml:"ErrorClientResponseMessage,attr"`
			}
			if err := xml.Unmarshal(raw, &resp); err != nil {
				t.Fatal(err)
			}
			got := Route(Refusal{ReasonCode: resp.Code, Origin: resp.Origin, Message: resp.Message})
			if got.Category != tt.cat || got.Urgent || !strings.Contains(got.Advice, resp.Code) {
				t.Fatalf("%+v, want category %s", got, tt.cat)
			}
		})
	}
}
