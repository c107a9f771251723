package main

import (
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/trialsync/trialsync/store"
)

// ck builds a key from its ten parts in the contract's order.
func ck(p ...string) store.ClinicalKey {
	return store.ClinicalKey{Study: p[0], Site: p[1], Subject: p[2], Event: p[3], EventRepeat: p[4], Form: p[5],
		FormRepeat: p[6], ItemGroup: p[7], ItemGroupRepeat: p[8], Item: p[9]}
}

func seedClinical(t *testing.T, service string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := store.Open(t.Context(), path, store.Options{Keyring: store.NewSystemKeyring(service, nil)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows := []struct {
		k store.ClinicalKey
		v store.ClinicalValue
	}{
		{ck("ALPHA(Prod)", "102", "102-001", "SCREEN", "1", "VS", "1", "VS", "1", "VS.SYSBP"), store.ClinicalValue{Value: "118", AuditID: "9"}},
		{ck("ALPHA(Prod)", "101", "101-001", "SCREEN", "1", "VS", "1", "VS", "1", "VS.SYSBP"), store.ClinicalValue{Value: "120", AuditID: "7"}},
		{ck("ALPHA(Prod)", "101", "101-001", "SCREEN", "1", "DM", "1", "DM", "1", "DM.SEX"), store.ClinicalValue{Value: "", IsNull: true}},
	}
	err = db.Update(t.Context(), func(tx *store.Tx) error {
		w := tx.Clinical()
		for _, r := range rows {
			if _, err := w.Upsert(&r.k, &r.v); err != nil {
				return err
			}
		}
		_, err := tx.Quarantine(store.Quarantined{Source: "ALPHA(Prod)/audit", Reason: "ItemData without ItemOID",
			Fragment: `<SubjectData SubjectKey="101-009"><ItemData Value="1"/></SubjectData>`})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestExportClinical(t *testing.T) {
	needKeyring(t)
	service, _ := isolate(t)
	path := seedClinical(t, service)

	r := cli(t, "", "--store", path, "export", "clinical", "--format", "jsonl")
	if r.code != 0 {
		t.Fatalf("exit %d %q", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines", len(lines))
	}
	var first map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	want := map[string]any{"study": "ALPHA(Prod)", "site": "101", "subject": "101-001", "event": "SCREEN", "event_repeat": "1",
		"form": "DM", "form_repeat": "1", "item_group": "DM", "item_group_repeat": "1", "item": "DM.SEX", "value": "", "is_null": true, "audit_id": ""}
	if !reflect.DeepEqual(first, want) {
		t.Fatalf("first row %v", first)
	}
	// keys exactly in the contract's order
	if !strings.HasPrefix(lines[0], `{"study":"ALPHA(Prod)","site":"101","subject":"101-001","event":"SCREEN","event_repeat":"1","form":"DM"`) {
		t.Fatalf("key order: %s", lines[0])
	}
	if !strings.Contains(lines[2], `"site":"102"`) {
		t.Fatalf("not sorted by site: %v", lines)
	}

	r = cli(t, "", "--store", path, "export", "clinical", "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(recs) != 4 || strings.Join(recs[0], ",") != strings.Join(clinicalColumns, ",") || recs[2][10] != "120" || recs[2][12] != "7" {
		t.Fatalf("csv %v %v", recs, err)
	}
	oneLineError(t, cli(t, "", "--store", path, "export", "clinical", "--format", "xml"), 2, "--format")
}

func TestQuarantineListResolve(t *testing.T) {
	needKeyring(t)
	service, _ := isolate(t)
	path := seedClinical(t, service)
	r := cli(t, "", "--store", path, "quarantine", "list", "--format", "jsonl")
	var q store.Quarantined
	if err := json.Unmarshal([]byte(r.stdout), &q); err != nil || q.ID != 1 || q.Fragment != `<SubjectData SubjectKey="101-009"><ItemData Value="1"/></SubjectData>` {
		t.Fatalf("list: %q %v", r.stdout, err)
	}
	oneLineError(t, cli(t, "", "--store", path, "quarantine", "resolve", "1"), 2, "--reason")
	oneLineError(t, cli(t, "", "--store", path, "quarantine", "resolve", "x", "--reason", "r"), 2, "not a number")
	oneLineError(t, cli(t, "", "--store", path, "quarantine", "resolve", "5", "--reason", "r"), 1, "no such quarantined fragment")
	if r := cli(t, "", "--store", path, "quarantine", "resolve", "1", "--reason", "re-keyed in Rave"); r.code != 0 {
		t.Fatalf("resolve: %d %q", r.code, r.stderr)
	}
	if r := cli(t, "", "--store", path, "quarantine", "list", "--format", "jsonl"); r.stdout != "" {
		t.Fatalf("resolved still listed: %q", r.stdout)
	}
	r = cli(t, "", "--store", path, "audit", "list", "--format", "jsonl")
	if !strings.Contains(r.stdout, `"action":"quarantine.resolve","object":"quarantine/1"`) || !strings.Contains(r.stdout, "re-keyed in Rave") {
		t.Fatalf("resolution not audited: %s", r.stdout)
	}
}
