package checklist

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/trialsync/trialsync/sync/sim/simtest"
)

// TestGetItem: the single-item GET answers the item byte for byte as the listing serves it, follows
// PUTs and edits, and is a 404 problem for an unknown item or site; it needs the token like every route.
func TestGetItem(t *testing.T) {
	st := simtest.DemoStudy(t)
	for _, sys := range []System{EDC, CTMS} {
		t.Run(string(sys), func(t *testing.T) {
			s := start(t, FromSeed(st, sys))
			p := decodePage(t, call(t, s, "GET", "/v1/checklist-items?study_id=ALPHA&limit=1000", ""))
			listed := call(t, s, "GET", "/v1/checklist-items?study_id=ALPHA&limit=1", "")
			a := call(t, s, "GET", "/v1/checklist-items/101/CTA_SIGNED", "")
			if a.Status != 200 || a.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("GET: %d %q %s", a.Status, a.Header.Get("Content-Type"), a.Body)
			}
			raw, _ := s.Item("101", "CTA_SIGNED")
			if !bytes.Equal(bytes.TrimSpace(a.Body), raw) || !bytes.Contains(listed.Body, raw) {
				t.Fatalf("GET %s, listing %s", a.Body, listed.Body)
			}
			if len(p.Items) != 18 {
				t.Fatalf("%d items listed", len(p.Items))
			}

			edit := Edit{Site: "101", Code: "CTA_SIGNED", Fields: map[string]json.RawMessage{"documentId": json.RawMessage(`"DOC-NEW"`)}}
			if err := s.Edit(edit); err != nil {
				t.Fatal(err)
			}
			if a := call(t, s, "GET", "/v1/checklist-items/101/CTA_SIGNED", ""); !bytes.Contains(a.Body, []byte(`"documentId":"DOC-NEW"`)) {
				t.Fatalf("after an edit: %s", a.Body)
			}
			isProblem(t, call(t, s, "GET", "/v1/checklist-items/101/NOPE", ""), 404, "no item 101/NOPE")
			isProblem(t, call(t, s, "GET", "/v1/checklist-items/999/CTA_SIGNED", ""), 404, "no site 999")
			isProblem(t, call(t, s, "GET", "/v1/checklist-items/101/CTA_SIGNED", "", "Authorization", ""), 401, "token")
			if s.Count("get") != 4 {
				t.Fatalf("%d gets counted, want 4", s.Count("get"))
			}
		})
	}
}

// TestGetItemFaults: the fault injector applies to the single-item GET as to the listing.
func TestGetItemFaults(t *testing.T) {
	s := start(t, Options{System: CTMS, Faults: "503burst:2@1"})
	a := call(t, s, "GET", "/v1/checklist-items/101/PI_CV", "")
	if a.Status != http.StatusServiceUnavailable || s.Count("503") != 1 {
		t.Fatalf("GET under 503burst:2@1: %d %s (%d faults)", a.Status, a.Body, s.Count("503"))
	}
}
