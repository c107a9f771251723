package ravepull

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/rws"
)

// TestMalformedSubjectBlockQuarantined serves one audit page whose second SubjectData has an ItemData
// without ItemOID, and whose fourth names a subject missing from the subject listing. The bad block
// goes to quarantine with its exact bytes, the unlisted subject with its rows, and every other row of
// the page is stored, with the cursor and one audit entry, in one transaction.
func TestMalformedSubjectBlockQuarantined(t *testing.T) {
	page, err := os.ReadFile("testdata/audit_page_bad_subject.xml")
	if err != nil {
		t.Fatal(err)
	}
	subjects, _ := os.ReadFile("testdata/subjects.xml")
	mux := http.NewServeMux()
	mux.HandleFunc("/RaveWebServices/datasets/ClinicalAuditRecords.odm", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.Write(page)
	})
	mux.HandleFunc("/RaveWebServices/studies/ALPHA(Prod)/subjects", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.Write(subjects)
	})
	srv := httptest.NewServer(mux) // listens on 127.0.0.1
	defer srv.Close()
	c, err := rws.New(rws.Config{BaseURL: srv.URL + "/RaveWebServices", Auth: rws.BasicAuth("u", "p"), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	db := openStore(t)
	res, err := engine(db, c).PullAudit(t.Context(), study)
	if err != nil {
		t.Fatal(err)
	}
	if res.Quarantined != 2 || res.Written != 2 {
		t.Fatalf("result %+v, want 2 rows written and 2 quarantined", res)
	}
	got := dump(t, db)
	for _, want := range []string{`"101-001"`, `"101-003"`} {
		if !strings.Contains(got, want) {
			t.Errorf("rows of %s missing:\n%s", want, got)
		}
	}
	for _, gone := range []string{`"101-002"`, `"101-099"`} {
		if strings.Contains(got, gone) {
			t.Errorf("rows of %s stored:\n%s", gone, got)
		}
	}
	qs, err := db.QuarantineList(t.Context(), false)
	if err != nil || len(qs) != 2 {
		t.Fatalf("quarantine %+v %v", qs, err)
	}
	start := bytes.Index(page, []byte(`<SubjectData SubjectKey="101-002">`))
	end := bytes.Index(page[start:], []byte("</SubjectData>")) + start + len("</SubjectData>")
	if qs[0].Fragment != string(page[start:end]) {
		t.Errorf("fragment is not the exact bytes of the block:\n%s", qs[0].Fragment)
	}
	if !strings.Contains(qs[0].Reason, "without ItemOID") || qs[0].RunID != "test-run" || !strings.Contains(qs[0].Source, "ClinicalAuditRecords") {
		t.Errorf("quarantine entry %+v", qs[0])
	}
	if !strings.Contains(qs[1].Reason, `subject "101-099"`) || !strings.Contains(qs[1].Fragment, `Value="70"`) {
		t.Errorf("unlisted subject entry %+v", qs[1])
	}
	var entries []store.Entry
	entries, _ = db.Entries(t.Context(), 0, 10)
	// The page's entry, then the merge of its staged rows.
	pageEntry, merge := entries[len(entries)-2], entries[len(entries)-1]
	sum := sha256.Sum256(page)
	if pageEntry.Action != "pull.page" || !strings.Contains(pageEntry.New, "staged=2 quarantined=2") || pageEntry.PayloadHash != hex.EncodeToString(sum[:]) {
		t.Errorf("page audit entry %+v", pageEntry)
	}
	if merge.Action != store.ActionPullMerge || merge.New != "runs=1 rows=2 written=2" {
		t.Errorf("merge audit entry %+v", merge)
	}
}
