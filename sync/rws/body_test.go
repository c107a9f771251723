package rws

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/trialsync/trialsync/sync/remote"
)

func TestBodyEndCheck(t *testing.T) {
	cases := []struct {
		name, doc string
		truncated bool
		want      string
	}{
		{"complete", `<ODM a="1"><ClinicalData/></ODM>`, false, ""},
		{"trailing space", "<ODM>\n</ODM>\r\n\n", false, ""},
		{"bom dropped", "\uFEFF<?xml version=\"1.0\"?><ODM></ODM>", false, "<?xml version=\"1.0\"?><ODM></ODM>"},
		{"self-closed root", `<?xml version="1.0"?><ODM mdsol:ErrorDescription="x" />`, false, ""},
		{"cut in element", `<ODM><ClinicalData StudyOID="A`, true, ""},
		{"cut after inner empty element", `<ODM><ClinicalData><SiteRef LocationOID="1"/>`, true, ""},
		{"cut before root end", `<ODM><ClinicalData></ClinicalData></OD`, true, ""},
		{"empty", ``, true, ""},
	}
	for _, tc := range cases {
		for _, oneByte := range []bool{false, true} {
			name := tc.name
			if oneByte {
				name += "/one byte reads"
			}
			t.Run(name, func(t *testing.T) {
				var r io.Reader = strings.NewReader(tc.doc)
				if oneByte {
					r = iotest.OneByteReader(r)
				}
				b := newBody(r, "GET x", true)
				got, err := io.ReadAll(b)
				if tc.truncated != errors.Is(err, ErrTruncated) {
					t.Fatalf("err = %v, truncated want %v", err, tc.truncated)
				}
				if tc.truncated && !Retryable(err) {
					t.Error("truncation not retryable")
				}
				if tc.want != "" && string(got) != tc.want {
					t.Errorf("body %q, want %q", got, tc.want)
				}
				if _, again := b.Read(make([]byte, 1)); tc.truncated != errors.Is(again, ErrTruncated) {
					t.Errorf("read after the end: %v", again)
				}
			})
		}
	}
}

func TestNextLink(t *testing.T) {
	for _, tc := range []struct {
		values []string
		want   string
		ok     bool
	}{
		{[]string{`<https://h/RaveWebServices/datasets/ClinicalAuditRecords.odm?studyoid=Mediflex%28DEV%29&startid=8256305&per_page=1000000>; rel="next"`},
			"https://h/RaveWebServices/datasets/ClinicalAuditRecords.odm?studyoid=Mediflex%28DEV%29&startid=8256305&per_page=1000000", true},
		{[]string{`<https://h/a?startid=1>; rel="prev", <https://h/a?startid=3>; rel=next`}, "https://h/a?startid=3", true},
		{[]string{`<https://h/a?startid=1>; rel="prev"`, `<https://h/b?startid=9>; title="x"; rel="next last"`}, "https://h/b?startid=9", true},
		{[]string{`<https://h/a>; rel="prev"`}, "", false},
		{nil, "", false},
		{[]string{`garbage`}, "", false},
	} {
		got, ok := nextLink(tc.values)
		if got != tc.want || ok != tc.ok {
			t.Errorf("nextLink(%q) = %q, %v", tc.values, got, ok)
		}
	}
}

// TestStalledPage: a dataset whose answer stops after its first bytes ends with a clear, retryable
// error naming the request, instead of holding the pull for ever.
func TestStalledPage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `<?xml version="1.0"?><ODM><ClinicalData StudyOID="ALPHA(Prod)">`)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, Config{BaseURL: srv.URL, Auth: BasicAuth("u", "p"), Answer: remote.AnswerPolicy{Idle: 200 * time.Millisecond}})
	p, err := c.Dataset(t.Context(), "ALPHA(Prod)", "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = readAll(p)
	if !errors.Is(err, remote.ErrStalled) || !Retryable(err) ||
		err.Error() != "rws: GET studies/ALPHA(Prod)/datasets/regular: no data for 200ms while reading the answer" {
		t.Fatalf("stalled answer: %v", err)
	}
}
