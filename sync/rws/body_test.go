package rws

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
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
