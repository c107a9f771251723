package odm

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// conformanceDir finds ../shared/conformance beside the repository (public RWS and ODM samples and the
// ODM 1.3.2 schema, which are not ours to commit), or skips the test when it is absent.
func conformanceDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the package directory")
		}
		dir = parent
	}
	c := filepath.Join(dir, "..", "shared", "conformance")
	if _, err := os.Stat(filepath.Join(c, "MANIFEST.md")); err != nil {
		t.Skipf("conformance corpus not present at %s (it sits beside the repository in CI)", c)
	}
	return c
}

// TestConformanceSamples reads every public ODM and RWS sample: ODM documents give the oracle's rows,
// RWS <Response> documents are refused as not ODM.
func TestConformanceSamples(t *testing.T) {
	dir := conformanceDir(t)
	var paths []string
	for _, sub := range []string{"odm-samples", "rws-responses"} {
		p, err := filepath.Glob(filepath.Join(dir, sub, "*.xml"))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p...)
	}
	if len(paths) < 10 {
		t.Fatalf("only %d samples in %s", len(paths), dir)
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			doc, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			res := readAll(t, doc)
			if bytes.Contains(doc[:min(len(doc), 200)], []byte("<Response")) {
				if res.err == nil || !strings.Contains(res.err.Error(), "is not ODM") {
					t.Fatalf("RWS Response read as ODM: %v", res.err)
				}
				return
			}
			if res.err != nil || len(res.blocks) > 0 {
				t.Fatalf("err %v blocks %v", res.err, res.blocks)
			}
			want, err := oracleRows(doc)
			if err != nil {
				t.Fatal(err)
			}
			if got := withoutOffsets(res.rows); len(got)+len(want) > 0 && !reflect.DeepEqual(got, want) {
				t.Fatalf("%d rows, oracle %d; first difference:%s", len(got), len(want), firstDiff(got, want))
			}
			if filepath.Base(p) == "clinical_audit_records_car_message.xml" {
				items := 0
				for _, r := range res.rows {
					if r.Kind == KindItem {
						items++
					}
				}
				if items != bytes.Count(doc, []byte("<ItemData ")) {
					t.Fatalf("%d item rows, document has %d ItemData", items, bytes.Count(doc, []byte("<ItemData ")))
				}
			}
		})
	}
}

func firstDiff(a, b []Row) string {
	for i := 0; i < len(a) && i < len(b); i++ {
		if !reflect.DeepEqual(a[i], b[i]) {
			return "\n got: " + rowString(a[i]) + "\nwant: " + rowString(b[i])
		}
	}
	return " (one is a prefix of the other)"
}

// TestConformanceWriterXSD validates what the Writer produces against the ODM 1.3.2 schema.
func TestConformanceWriterXSD(t *testing.T) {
	dir := conformanceDir(t)
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Fatal("xmllint not installed (make test installs libxml2-utils)")
	}
	var buf bytes.Buffer
	w := NewWriter(&buf, testHeader)
	if err := w.StartClinicalData("ALPHA(Prod)", "12"); err != nil {
		t.Fatal(err)
	}
	writeSubject(t, w, "101-001", "101", map[string]string{"EX.TAKEN": "3", "EX.NOTE": "a\tb <c> & \"d\" 日本", "EX.EMPTY": ""})
	writeSubject(t, w, "101-002", "", map[string]string{"EX.TAKEN": "0"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "post.xml")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	schema := filepath.Join(dir, "xsd", "odm1-3-2", "ODM1-3-2.xsd")
	out, err := exec.CommandContext(t.Context(), xmllint, "--nonet", "--noout", "--schema", schema, file).CombinedOutput()
	if err != nil {
		t.Fatalf("writer output does not validate against ODM 1.3.2: %v\n%s\n%s", err, out, buf.String())
	}
	// and the schema check is a real one: a document it must refuse
	bad := bytes.Replace(buf.Bytes(), []byte(`TransactionType="Context"`), []byte(`TransactionType="Merge"`), 1)
	if err := os.WriteFile(file, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	var ee *exec.ExitError
	if _, err := exec.CommandContext(t.Context(), xmllint, "--nonet", "--noout", "--schema", schema, file).CombinedOutput(); !errors.As(err, &ee) {
		t.Fatalf("xmllint accepted an invalid TransactionType: %v", err)
	}
}
