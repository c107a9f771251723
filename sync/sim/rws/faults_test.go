package rws

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// do sends an authorised request with client c and returns the response with its body unread.
func do(t *testing.T, c *http.Client, s *Server, ctx context.Context, method, path string, body io.Reader, accept string) *http.Response {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, method, s.URL()+"/"+path, body)
	req.SetBasicAuth(s.Options().User, s.Options().Password)
	if accept != "" {
		req.Header.Set("Accept-Encoding", accept)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestBombOnlyOnSubjects: under bomb:1 the subject listing is a 0.4 MB gzip body of one ODM
// listing whose single SubjectKey is 400 MiB long; other answers are untouched.
func TestBombOnlyOnSubjects(t *testing.T) {
	s := startRWS(t, Options{Faults: "bomb:1"})
	resp := do(t, http.DefaultClient, s, t.Context(), "GET", "studies", nil, "")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || wellFormed(b) != nil {
		t.Fatalf("studies under bomb:1: %d", resp.StatusCode)
	}
	resp = do(t, &http.Client{Transport: &http.Transport{DisableCompression: true}}, s, t.Context(), "GET", "studies/ALPHA(Prod)/subjects", nil, "gzip")
	wire, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.Header.Get("Content-Encoding") != "gzip" || len(wire) > 600_000 || s.Count("bomb") != 1 {
		t.Fatalf("subjects: %v %v, %d bytes, bomb count %d", resp.Header, err, len(wire), s.Count("bomb"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(wire))
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 4096)
	if _, err := io.ReadFull(zr, head); err != nil {
		t.Fatal(err)
	}
	_, after, ok := bytes.Cut(head, []byte(`<SubjectData SubjectKey="`))
	if !bytes.HasPrefix(head, []byte("\uFEFF<?xml")) || !ok || len(bytes.Trim(after, "A")) != 0 {
		t.Fatalf("inflated head %q", head[:300])
	}
}

// TestEndlessDataset: under endless:1 a dataset is an ODM document whose ClinicalData blocks never
// end; what arrives parses as XML all the way.
func TestEndlessDataset(t *testing.T) {
	s := startRWS(t, Options{Faults: "endless:1"})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	resp := do(t, http.DefaultClient, s, ctx, "GET", "studies/ALPHA(Prod)/datasets/regular", nil, "")
	defer resp.Body.Close()
	const size = 512 << 10
	b, err := io.ReadAll(io.LimitReader(resp.Body, size))
	if err != nil || len(b) != size || s.Count("endless") != 1 {
		t.Fatalf("read %d bytes: %v", len(b), err)
	}
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF"))))
	blocks := 0
	for {
		tok, err := d.Token()
		if err != nil {
			if !errors.Is(err, io.ErrUnexpectedEOF) && !strings.Contains(err.Error(), "unexpected EOF") {
				t.Fatalf("after %d blocks: %v", blocks, err)
			}
			break
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "ClinicalData" {
			blocks++
		}
	}
	if blocks < 500 {
		t.Fatalf("%d ClinicalData blocks in 512 KiB", blocks)
	}
}

// TestStalledPostIsApplied: a post whose answer stalls has been applied all the same, as a lost
// answer of the real RWS would be.
func TestStalledPostIsApplied(t *testing.T) {
	s := startRWS(t, Options{Faults: "stall:1"})
	doc := `<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" FileOID="f"><ClinicalData StudyOID="ALPHA(Prod)"><SubjectData SubjectKey="101-001">` +
		`<StudyEventData StudyEventOID="SM"><FormData FormOID="EX_INH" FormRepeatKey="1"><ItemGroupData ItemGroupOID="EX_INH" ItemGroupRepeatKey="1">` +
		`<ItemData ItemOID="EX_INH.EXDOSE" Value="300"/></ItemGroupData></FormData></StudyEventData></SubjectData></ClinicalData></ODM>`
	ctx, cancel := context.WithCancel(t.Context())
	resp := do(t, http.DefaultClient, s, ctx, "POST", "webservice.aspx?PostODMClinicalData", strings.NewReader(doc), "")
	if resp.StatusCode != 200 || s.Count("stall") != 1 {
		t.Fatalf("status %d, stall count %d", resp.StatusCode, s.Count("stall"))
	}
	v, _, ok := s.Value(ItemKey{Subject: "101-001", Event: "SM", Form: "EX_INH", ItemGroup: "EX_INH", ItemGroupRepeat: "1", Item: "EX_INH.EXDOSE"})
	cancel()
	_, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !ok || v != "300" || err == nil {
		t.Fatalf("value %q %v; body error %v", v, ok, err)
	}
}

// TestTrickledAnswerIsWhole: a trickled answer (here gzip, trickled after compression) arrives whole
// and well-formed.
func TestTrickledAnswerIsWhole(t *testing.T) {
	s := startRWS(t, Options{Faults: "trickle:50us"})
	resp := do(t, http.DefaultClient, s, t.Context(), "GET", "studies", nil, "")
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || wellFormed(b) != nil || !bytes.Contains(b, []byte(`<Study OID="ALPHA(Prod)">`)) || !resp.Uncompressed {
		t.Fatalf("%v %q (gzip %v)", err, b, resp.Uncompressed)
	}
	if s.Count("trickle") != 1 {
		t.Fatalf("trickle count %d", s.Count("trickle"))
	}
}

// TestRedirectAndClose: authorised requests are redirected or reset; version never is.
func TestRedirectAndClose(t *testing.T) {
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r := startRWS(t, Options{Faults: "redirect:http://127.0.0.1:1/RaveWebServices/studies"})
	resp := do(t, noFollow, r, t.Context(), "GET", "studies", nil, "")
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "http://127.0.0.1:1/RaveWebServices/studies" {
		t.Fatalf("redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	c := startRWS(t, Options{Faults: "close:1"})
	req, _ := http.NewRequestWithContext(t.Context(), "GET", c.URL()+"/studies", nil)
	req.SetBasicAuth(c.Options().User, c.Options().Password)
	if resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("close:1 answered %s", resp.Status)
	}
	for _, s := range []*Server{r, c} {
		if resp, b, err := get(t, s, "GET", "version", nil, ""); err != nil || resp.StatusCode != 200 || string(b) != "1.0.0" {
			t.Fatalf("version under faults: %v %v %q", resp, err, b)
		}
	}
}
