package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func odmFixture(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "testdata", "odm", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestOdmRowsSchema pins the contract's JSON Lines schema, key order included.
func TestOdmRowsSchema(t *testing.T) {
	r := cli(t, "", "odm", "rows", odmFixture(t, "good/rave_clinical.xml"))
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines, want 5:\n%s", len(lines), r.stdout)
	}
	want := `{"study":"ALPHA(Prod)","subject":"101-001","site":"101","event":"SCREEN","event_repeat":"1",` +
		`"form":"VS","form_repeat":"1","item_group":"VS_LOG_LINE","item_group_repeat":"1","item":"VS.SYSBP",` +
		`"value":"120","is_null":false,"audit":{"user":"crc.jones","location":"101","time":"2024-11-03T09:12:44",` +
		`"reason":"Data entry & review","source_id":"556677","subcategory":"Entered"}}`
	if lines[0] != want {
		t.Fatalf("first row\n got: %s\nwant: %s", lines[0], want)
	}
	// no AuditRecord: no audit key; IsNull carried
	var row map[string]any
	if err := json.Unmarshal([]byte(lines[2]), &row); err != nil {
		t.Fatal(err)
	}
	if _, ok := row["audit"]; ok || row["is_null"] != true || row["item"] != "VS.POSITION" || len(row) != 12 {
		t.Fatalf("third row %s", lines[2])
	}
}

func TestOdmRowsStdin(t *testing.T) {
	doc, err := os.ReadFile(odmFixture(t, "good/typed_132.xml"))
	if err != nil {
		t.Fatal(err)
	}
	r := cli(t, string(doc), "odm", "rows", "-")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 6 || !strings.Contains(r.stdout, `"value":"a <b> & c tail & more"`) {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestOdmNotWellFormed: exit 1 with "trialsync: line:col: reason", one line.
func TestOdmNotWellFormed(t *testing.T) {
	tests := []struct {
		file, stderr string
	}{
		{"bad/truncated.xml", "trialsync: 3:28: unexpected end of document: <StudyEventData> and 3 enclosing elements not closed\n"},
		{"bad/mismatched_end_tag.xml", "trialsync: 1:316: end tag </ItemGroupData> does not match <ItemData>\n"},
		{"bad/doctype_internal_subset.xml", "trialsync: 2:15: DOCTYPE with an internal subset is not accepted\n"},
	}
	for _, cmd := range []string{"rows", "check"} {
		for _, tt := range tests {
			t.Run(cmd+"/"+tt.file, func(t *testing.T) {
				r := cli(t, "", "odm", cmd, odmFixture(t, tt.file))
				if r.code != 1 || r.stderr != tt.stderr {
					t.Fatalf("exit %d, stderr %q, want 1 and %q", r.code, r.stderr, tt.stderr)
				}
				if cmd == "check" && r.stdout != "" {
					t.Fatalf("check wrote rows: %q", r.stdout)
				}
			})
		}
	}
}

func TestOdmCheck(t *testing.T) {
	r := cli(t, "", "odm", "check", odmFixture(t, "good/rave_audit_page.xml"))
	if r.code != 0 || r.stdout != "" || r.stderr != "ok: 2 values, 4 audit events on containers\n" {
		t.Fatalf("exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = cli(t, "", "odm", "check", odmFixture(t, "block/item_without_oid.xml"))
	if r.code != 1 || r.stderr != "trialsync: 23:13: <ItemData> without ItemOID\n" {
		t.Fatalf("exit %d %q", r.code, r.stderr)
	}
	// several problems: each listed, then one summary line
	one, err := os.ReadFile(odmFixture(t, "block/item_without_oid.xml"))
	if err != nil {
		t.Fatal(err)
	}
	two := bytes.Replace(one, []byte(`<ItemData ItemOID="VS.SYSBP" Value="120"/>`), []byte(`<ItemData ItemOID="VS.SYSBP" Value="120" IsNull="No"/>`), 1)
	r = cli(t, string(two), "odm", "check", "-")
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if r.code != 1 || len(lines) != 3 || lines[2] != "trialsync: 2 ODM structure problems (listed above)" ||
		!strings.Contains(lines[0], `IsNull must be "Yes", not "No" (SubjectData at bytes`) {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
}

func TestOdmUsage(t *testing.T) {
	for _, args := range [][]string{{"odm"}, {"odm", "rows"}, {"odm", "check", "a", "b"}, {"odm", "bench", "--size", "lots"}} {
		if r := cli(t, "", args...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, r.code, r.stderr)
		}
	}
	if r := cli(t, "", "odm", "rows", filepath.Join(t.TempDir(), "missing.xml")); r.code != 1 || !strings.HasPrefix(r.stderr, "trialsync: open ") {
		t.Fatalf("missing file: exit %d %q", r.code, r.stderr)
	}
}

// TestOdmBench runs the real benchmark on a small export with the built binary, lxml included.
func TestOdmBench(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "trialsync")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	python := "/usr/bin/python3"
	if err := exec.CommandContext(t.Context(), python, "-c", "import lxml").Run(); err != nil {
		t.Fatalf("python3-lxml not installed (make test installs it): %v", err)
	}
	out, err := exec.CommandContext(t.Context(), bin, "odm", "bench", "--size", "2MiB", "--dir", t.TempDir()).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"trialsync odm (Go)", "lxml.iterparse + clear()", "ratio (Go / lxml): ", "MB/s", "rows/s", "peak RSS"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Fatalf("report lacks %q:\n%s", want, out)
		}
	}
}
