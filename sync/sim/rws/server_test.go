package rws

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/trialsync/trialsync/sync/sim/simtest"
)

func startRWS(t *testing.T, opts Options) *Server { return simtest.Start(t, Start, opts) }

// get sends a request with the simulator's Basic credentials unless auth is given ("" for none).
func get(t *testing.T, s *Server, method, path string, body io.Reader, auth ...string) (*http.Response, []byte, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL()+"/"+path, body)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case len(auth) == 0:
		req.SetBasicAuth(s.Options().User, s.Options().Password)
	case auth[0] != "":
		req.SetBasicAuth(s.Options().User, auth[0])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// wellFormed decodes a whole document with encoding/xml.
func wellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF"))))
	for {
		if _, err := d.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

func TestRWSAnswersAreWellFormed(t *testing.T) {
	s := startRWS(t, Options{Seed: 8})
	for _, path := range []string{
		"studies",
		"studies/ALPHA(Prod)/subjects",
		"studies/ALPHA(Prod)/subjects?subjectKeyType=SubjectUUID&status=all&links=all",
		"studies/ALPHA(Prod)/datasets/regular",
		"studies/ALPHA(Prod)/datasets/raw/AE",
		"studies/ALPHA(Prod)/datasets/regular?start=2024-03-01T08:20:00",
		"datasets/ClinicalAuditRecords.odm?studyoid=ALPHA(Prod)&startid=1&per_page=100000",
	} {
		t.Run(path, func(t *testing.T) {
			resp, b, err := get(t, s, "GET", path, nil)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("status %v, %v", resp.Status, err)
			}
			if err := wellFormed(b); err != nil {
				t.Fatalf("not well-formed: %v", err)
			}
			if !bytes.Contains(b, []byte(`xmlns="http://www.cdisc.org/ns/odm/v1.3"`)) {
				t.Error("no ODM namespace")
			}
		})
	}
}

func TestRWSAuthorisation(t *testing.T) {
	s := startRWS(t, Options{MaxBadLogins: 3})
	resp, b, _ := get(t, s, "GET", "studies", nil, "")
	if resp.StatusCode != 401 || string(b) != "Authorization Header not provided" {
		t.Fatalf("no header: %d %q", resp.StatusCode, b)
	}
	if resp, b, _ := get(t, s, "GET", "version", nil, ""); resp.StatusCode != 200 || string(b) != "1.0.0" {
		t.Fatalf("version: %d %q", resp.StatusCode, b)
	}
	for i := range 3 {
		resp, b, _ := get(t, s, "GET", "studies", nil, "wrong")
		if resp.StatusCode != 401 || !bytes.Contains(b, []byte(`mdsol:ErrorDescription="Incorrect login and password combination. [RWS00008]"`)) {
			t.Fatalf("bad login %d: %d %s", i, resp.StatusCode, b)
		}
	}
	resp, b, _ = get(t, s, "GET", "studies", nil)
	if resp.StatusCode != 401 || !bytes.Contains(b, []byte(`ReasonCode="RWS00005"`)) {
		t.Fatalf("locked out, right password: %d %s", resp.StatusCode, b)
	}
	s.Unlock()
	if resp, _, _ := get(t, s, "GET", "studies", nil); resp.StatusCode != 200 {
		t.Fatalf("after unlock: %d", resp.StatusCode)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", s.URL()+"/studies", nil)
	req.Header.Set("Authorization", "Bearer not-a-token")
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(r2.Body)
	r2.Body.Close()
	if r2.StatusCode != 401 || !bytes.Contains(b, []byte(`ReasonCode="RWS00097"`)) {
		t.Fatalf("bad token: %d %s", r2.StatusCode, b)
	}
}

func TestRWSRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:80"} {
		if _, err := Start(addr, Options{}); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("Start(%q) = %v", addr, err)
		}
	}
}

func TestRWSDeterministic(t *testing.T) {
	a := startRWS(t, Options{Seed: 99})
	b := startRWS(t, Options{Seed: 99})
	c := startRWS(t, Options{Seed: 100})
	vol := regexp.MustCompile(`(FileOID|CreationDateTime)="[^"]*"`)
	page := func(s *Server) []byte {
		_, body, err := get(t, s, "GET", "datasets/ClinicalAuditRecords.odm?studyoid=ALPHA(Prod)&startid=1&per_page=1000000", nil)
		if err != nil {
			t.Fatal(err)
		}
		return vol.ReplaceAll(body, nil)
	}
	pa, pb, pc := page(a), page(b), page(c)
	if !bytes.Equal(pa, pb) {
		t.Error("same seed, different audit feed")
	}
	if bytes.Equal(pa, pc) {
		t.Error("different seed, same audit feed")
	}
}

// TestRWSAdvance: records become visible over time; datasets and the feed follow.
func TestRWSAdvance(t *testing.T) {
	s := startRWS(t, Options{Visible: 30})
	count := func() int {
		_, b, _ := get(t, s, "GET", "datasets/ClinicalAuditRecords.odm?studyoid=ALPHA(Prod)&startid=1&per_page=100000000", nil)
		return bytes.Count(b, []byte("<ClinicalData "))
	}
	if n := count(); n != 30 {
		t.Fatalf("%d records visible, want 30", n)
	}
	if got := s.Advance(20); got != 50 || count() != 50 {
		t.Fatalf("after Advance: %d", got)
	}
	if got := s.Advance(1 << 40); got != s.TotalRecords() {
		t.Fatalf("Advance past the end = %d", got)
	}
}

// TestRWSPostedSubject: a subject created by a post shows up in the subjects listing, the datasets
// and the audit feed, after every generated record.
func TestRWSPostedSubject(t *testing.T) {
	s := startRWS(t, Options{})
	doc := `<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:mdsol="http://www.mdsol.com/ns/odm/metadata" FileOID="new-subj" ODMVersion="1.3" FileType="Transactional">
<ClinicalData StudyOID="ALPHA(Prod)"><SubjectData SubjectKey="102-050" TransactionType="Insert"><SiteRef LocationOID="102"/>
<StudyEventData StudyEventOID="SCREEN"><FormData FormOID="DM" FormRepeatKey="1"><ItemGroupData ItemGroupOID="DM"><ItemData ItemOID="DM.INITIALS" Value="Ö &amp; Ü"/></ItemGroupData></FormData></StudyEventData>
</SubjectData></ClinicalData></ODM>`
	resp, b, err := get(t, s, "POST", "webservice.aspx?PostODMClinicalData", strings.NewReader(doc))
	if err != nil || resp.StatusCode != 200 || !bytes.Contains(b, []byte(`IsTransactionSuccessful="1"`)) ||
		!bytes.Contains(b, []byte("Subjects=1; Folders=0; Forms=1; Fields=1; LogLines=0")) || !bytes.Contains(b, []byte(`SubjectNumberInStudySite="5"`)) {
		t.Fatalf("post: %v %s", err, b)
	}
	_, b, _ = get(t, s, "GET", "studies/ALPHA(Prod)/subjects", nil)
	if !bytes.Contains(b, []byte(`SubjectKey="102-050"`)) {
		t.Error("new subject not listed")
	}
	_, b, _ = get(t, s, "GET", "studies/ALPHA(Prod)/datasets/regular/DM", nil)
	if !bytes.Contains(b, []byte(`SubjectKey="102-050"`)) || !bytes.Contains(b, []byte(`Value="Ö &amp; Ü"`)) {
		t.Errorf("new subject's value not in the dataset")
	}
	_, b, _ = get(t, s, "GET", "datasets/ClinicalAuditRecords.odm?studyoid=ALPHA(Prod)&startid=1&per_page=100000000", nil)
	if err := wellFormed(b); err != nil {
		t.Fatal(err)
	}
	created := bytes.Index(b, []byte(`mdsol:SubjectName="102-050" TransactionType="Insert"`))
	entered := bytes.Index(b, []byte(`Value="Ö &amp; Ü"`))
	if created < 0 || entered < created || bytes.Count(b, []byte("<ClinicalData ")) != int(s.TotalRecords())+2 {
		t.Errorf("posted audit records missing or out of order (%d, %d)", created, entered)
	}
}

func TestRWSPostLimits(t *testing.T) {
	s := startRWS(t, Options{})
	resp, b, _ := get(t, s, "POST", "webservice.aspx?PostODMClinicalData", strings.NewReader(strings.Repeat("x", maxPostBytes+1)))
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !bytes.Contains(b, []byte("413")) {
		t.Fatalf("oversized post: %d", resp.StatusCode)
	}
	resp, b, _ = get(t, s, "POST", "webservice.aspx?PostODMClinicalData", strings.NewReader("<ODM><unclosed>"))
	if resp.StatusCode != 400 || !bytes.Contains(b, []byte(`IsTransactionSuccessful="0"`)) {
		t.Fatalf("malformed post: %d %s", resp.StatusCode, b)
	}
	resp, b, _ = get(t, s, "POST", "webservice.aspx?CacheFlush", strings.NewReader(""))
	if resp.StatusCode != http.StatusNotImplemented || !bytes.Contains(b, []byte(`ReasonCode="RWS00140"`)) {
		t.Fatalf("other operation: %d %s", resp.StatusCode, b)
	}
	resp, b, _ = get(t, s, "GET", "no/such/thing", nil)
	if resp.StatusCode != 404 || !bytes.Contains(b, []byte("<h2>HTTP Error 404.0 - Not Found</h2>")) {
		t.Fatalf("unknown path: %d %s", resp.StatusCode, b)
	}
}

// TestRWSBodyFaults: drop cuts the connection mid-body; truncate ends the HTTP answer cleanly with
// the XML cut short.
func TestRWSBodyFaults(t *testing.T) {
	t.Run("drop", func(t *testing.T) {
		s := startRWS(t, Options{Faults: "drop:1"})
		resp, b, err := get(t, s, "GET", "studies/ALPHA(Prod)/datasets/regular", nil)
		if resp == nil || resp.StatusCode != 200 || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("status %v, err %v", resp, err)
		}
		if s.Count("drop") != 1 || bytes.HasSuffix(b, []byte("</ODM>\n")) {
			t.Fatalf("drop count %d, %d bytes received", s.Count("drop"), len(b))
		}
	})
	t.Run("truncate", func(t *testing.T) {
		s := startRWS(t, Options{Faults: "truncate:1", NoGzip: true})
		for _, path := range []string{"studies", "studies/ALPHA(Prod)/datasets/regular"} {
			resp, b, err := get(t, s, "GET", path, nil)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("%s: %v %v", path, resp, err)
			}
			if wellFormed(b) == nil || bytes.HasSuffix(bytes.TrimSpace(b), []byte("</ODM>")) {
				t.Fatalf("%s: truncated body is complete: %q", path, b[max(0, len(b)-40):])
			}
		}
	})
}
