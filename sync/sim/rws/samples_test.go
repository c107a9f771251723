package rws

import (
	"bytes"
	"encoding/xml"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// samples are the RWS answer samples the rws client is tested on; the simulator must answer in the
// same shapes.
var samples = filepath.Join("..", "..", "..", "testdata", "rws")

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samples, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// root is the root element of an XML answer: its name and attributes (prefixed names as written).
func root(t *testing.T, b []byte) (string, map[string]string) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF"))))
	for {
		tok, err := d.RawToken()
		if err != nil {
			t.Fatalf("no root element in %q: %v", b, err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			attrs := map[string]string{}
			for _, a := range se.Attr {
				name := a.Name.Local
				if a.Name.Space != "" {
					name = a.Name.Space + ":" + name
				}
				attrs[name] = a.Value
			}
			return se.Name.Local, attrs
		}
	}
}

// TestAnswersMatchSamples: each refusal the simulator gives has the shape of the RWS sample for it:
// the same root element, the same attributes, and the same fixed values (reason code, message,
// origin); plain-text answers are byte for byte the sample.
func TestAnswersMatchSamples(t *testing.T) {
	s := startRWS(t, Options{MaxBadLogins: 2})
	burst := startRWS(t, Options{Faults: "503burst:1@1", NoGzip: true})
	post := func(doc string) func() (*http.Response, []byte, error) {
		return func() (*http.Response, []byte, error) {
			return get(t, s, "POST", "webservice.aspx?PostODMClinicalData", strings.NewReader(doc))
		}
	}
	cases := []struct {
		sample string
		status int
		send   func() (*http.Response, []byte, error)
		fixed  []string // attributes whose values must equal the sample's
	}{
		{sample: "errors/text_no_auth.txt", status: 401, send: func() (*http.Response, []byte, error) {
			return get(t, s, "GET", "studies", nil, "")
		}},
		{sample: "errors/text_503.txt", status: 503, send: func() (*http.Response, []byte, error) {
			return get(t, burst, "GET", "studies", nil)
		}},
		{sample: "errors/odm_bad_login.xml", status: 401, fixed: []string{"mdsol:ErrorDescription", "ODMVersion", "FileType"},
			send: func() (*http.Response, []byte, error) { return get(t, s, "GET", "studies", nil, "wrong") }},
		{sample: "errors/response_not_implemented.xml", status: 501, fixed: []string{"ReasonCode", "ErrorClientResponseMessage", "IsTransactionSuccessful", "InboundODMFileOID"},
			send: func() (*http.Response, []byte, error) {
				return get(t, s, "POST", "webservice.aspx?CacheFlush", strings.NewReader(""))
			}},
		{sample: "errors/response_study_not_found.xml", status: 404, fixed: []string{"ReasonCode", "ErrorClientResponseMessage", "IsTransactionSuccessful", "InboundODMFileOID"},
			send: func() (*http.Response, []byte, error) { return get(t, s, "GET", "studies/GAMMA(Prod)/subjects", nil) }},
		{sample: "errors/response_subject_not_found.xml", status: 404,
			fixed: []string{"ReasonCode", "ErrorClientResponseMessage", "ErrorOriginLocation", "SuccessStatistics", "InboundODMFileOID"},
			send: post(`<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" FileOID="x-1"><ClinicalData StudyOID="ALPHA(Prod)">` +
				`<SubjectData SubjectKey="101-001"/><SubjectData SubjectKey="101-099"/></ClinicalData></ODM>`)},
		{sample: "post/rejected_subject_exists.xml", status: 409,
			fixed: []string{"ReasonCode", "ErrorClientResponseMessage", "ErrorOriginLocation", "SuccessStatistics", "InboundODMFileOID"},
			send: post(`<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" FileOID="subj-insert-1"><ClinicalData StudyOID="ALPHA(Prod)">` +
				`<SubjectData SubjectKey="101-001" TransactionType="Insert"><SiteRef LocationOID="101"/></SubjectData></ClinicalData></ODM>`)},
		{sample: "post/success.xml", status: 200, fixed: []string{"IsTransactionSuccessful", "InboundODMFileOID", "NewRecords"},
			send: post(`<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" FileOID="exposure-101-001-20250301"><ClinicalData StudyOID="ALPHA(Prod)">` +
				`<SubjectData SubjectKey="101-001"><StudyEventData StudyEventOID="SM"><FormData FormOID="EX_INH" FormRepeatKey="1">` +
				`<ItemGroupData ItemGroupOID="EX_INH" ItemGroupRepeatKey="1"><ItemData ItemOID="EX_INH.EXDOSE" Value="300"/>` +
				`</ItemGroupData></FormData></StudyEventData></SubjectData></ClinicalData></ODM>`)},
		// Last: it locks the account out.
		{sample: "errors/response_locked_out.xml", status: 401, fixed: []string{"ReasonCode", "ErrorClientResponseMessage", "IsTransactionSuccessful", "InboundODMFileOID"},
			send: func() (*http.Response, []byte, error) {
				get(t, s, "GET", "studies", nil, "wrong")
				get(t, s, "GET", "studies", nil, "wrong")
				return get(t, s, "GET", "studies", nil)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.sample, func(t *testing.T) {
			want := sample(t, tc.sample)
			resp, got, err := tc.send()
			if err != nil || resp.StatusCode != tc.status {
				t.Fatalf("answer %v %v, want %d", resp, err, tc.status)
			}
			if strings.HasSuffix(tc.sample, ".txt") {
				if !bytes.Equal(got, bytes.TrimRight(want, "\n")) {
					t.Fatalf("got %q, sample %q", got, want)
				}
				return
			}
			gotName, gotAttrs := root(t, got)
			wantName, wantAttrs := root(t, want)
			if gotName != wantName {
				t.Fatalf("root <%s>, sample <%s>", gotName, wantName)
			}
			if g, w := slices.Sorted(maps.Keys(gotAttrs)), slices.Sorted(maps.Keys(wantAttrs)); !slices.Equal(g, w) {
				t.Fatalf("attributes %v\nsample has %v", g, w)
			}
			for _, a := range tc.fixed {
				if gotAttrs[a] != wantAttrs[a] {
					t.Errorf("%s = %q, sample %q", a, gotAttrs[a], wantAttrs[a])
				}
			}
		})
	}
}

// TestIISPagesMatchSamples: the IIS error pages carry the sample's error line.
func TestIISPagesMatchSamples(t *testing.T) {
	s := startRWS(t, Options{Faults: "iis401:1"})
	h2 := regexp.MustCompile(`<h2>[^<]*</h2>`)
	for _, tc := range []struct {
		sample string
		status int
		send   func() (*http.Response, []byte, error)
	}{
		{"errors/iis_401.html", 401, func() (*http.Response, []byte, error) { return get(t, s, "GET", "studies", nil) }},
		{"errors/iis_413.html", 413, func() (*http.Response, []byte, error) {
			return get(t, startRWS(t, Options{}), "POST", "webservice.aspx?PostODMClinicalData", strings.NewReader(strings.Repeat("x", maxPostBytes+1)))
		}},
	} {
		t.Run(tc.sample, func(t *testing.T) {
			resp, got, err := tc.send()
			if err != nil || resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("answer %v %v", resp, err)
			}
			want := h2.Find(sample(t, tc.sample))
			if want == nil || !bytes.Contains(got, want) {
				t.Fatalf("answer lacks the sample's %s:\n%s", want, got)
			}
		})
	}
}
