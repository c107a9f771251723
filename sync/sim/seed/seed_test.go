package seed

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// studyFile is the demo's study description, shared with the simulators' and the demo's tests.
var studyFile = filepath.Join("..", "..", "..", "testdata", "seed", "study.toml")

func readStudy(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(studyFile)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDemoStudy pins what the demo's study holds: 3 sites, 300 subjects, two drugs dosed daily for a
// month, checklists with a few conflicts, and the trouble, once each.
func TestDemoStudy(t *testing.T) {
	st, err := Load(studyFile)
	if err != nil {
		t.Fatal(err)
	}
	subjects := st.Subjects()
	if len(st.Sites) != 3 || len(subjects) != 300 || subjects[0] != "101-001" || subjects[299] != "103-100" {
		t.Fatalf("%d sites, %d subjects (%s … %s)", len(st.Sites), len(subjects), subjects[0], subjects[len(subjects)-1])
	}
	inh, okI := st.Drug("Isoniazid")
	rpt, okR := st.Drug("Rifapentine")
	if !okI || !okR || inh.Form != "EX_INH" || rpt.Form != "EX_RPT" || len(st.Drugs) != 2 {
		t.Fatalf("drugs %+v", st.Drugs)
	}
	if st.Dosing.Days < 28 || st.Dosing.Days > 31 || !st.Dosing.FirstDay.Equal(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("dosing %+v", st.Dosing)
	}
	if n := len(st.Checklist.Conflicts); n < 2 || n > 5 || len(st.Checklist.Items) == 0 {
		t.Fatalf("checklist %+v", st.Checklist)
	}
	tr := st.Trouble
	if !strings.Contains(tr.RaveFaults, "429storm:") || tr.MalformedSubject == "" || tr.WrongDrug == nil || tr.ArmChange == nil {
		t.Fatalf("trouble %+v", tr)
	}
	arm, _ := st.Arm(tr.WrongDrug.Arm)
	if slices.Contains(arm.Drugs, tr.WrongDrug.Drug) {
		t.Fatalf("the wrong drug %s is in %s", tr.WrongDrug.Drug, arm.Name)
	}
	fixed := st.FixedArms()
	if len(fixed) != 2 || fixed[tr.WrongDrug.Subject] != tr.WrongDrug.Arm || fixed[tr.ArmChange.Subject] != tr.ArmChange.From {
		t.Fatalf("fixed arms %v", fixed)
	}
}

func TestHasSubject(t *testing.T) {
	st, err := Load(studyFile)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{
		"101-001": true, "103-100": true, "102-050": true,
		"101-000": false, "101-101": false, "104-001": false, "101-1": false, "101": false, "101-0001": false, "": false,
	} {
		if got := st.HasSubject(name); got != want {
			t.Errorf("HasSubject(%q) = %v", name, got)
		}
	}
}

// TestParseErrors: each broken description is refused with a one-line error naming the problem.
func TestParseErrors(t *testing.T) {
	good := string(readStudy(t))
	cases := []struct {
		name, old, new, err string
	}{
		{"syntax", `[study]`, `[study`, "seed demo.toml:5:"},
		{"unknown key", `visits = 3`, `visits = 3` + "\ncolour = \"red\"", "seed demo.toml:11: unknown key study.colour"},
		{"wrong type", `seed = 2025`, `seed = "2025"`, "study.seed has the wrong type"},
		{"missing oid", `oid = "ALPHA(Prod)"`, `oid = ""`, "study.oid is missing"},
		{"no seed", `seed = 2025`, `seed = 0`, "study.seed is missing"},
		{"too many subjects", `subjects_per_site = 100`, `subjects_per_site = 1000`, "not between 1 and 999"},
		{"no visits", `visits = 3 `, `visits = 0 `, "study.visits 0 is not positive"},
		{"no exposure event", `exposure_event = "SM"`, `exposure_event = ""`, "study.exposure_event is missing"},
		{"duplicate site", `oid = "102"`, `oid = "101"`, `site "101" appears twice`},
		{"site with a dash", `oid = "103"`, `oid = "10-3"`, "has no dash"},
		{"drug without form", `form = "EX_RPT"`, `form = ""`, `drug "Rifapentine" needs a form`},
		{"duplicate drug", `name = "Rifapentine"`, `name = "Isoniazid"`, `drug "Isoniazid" appears twice`},
		{"arm with an unknown drug", `drugs = ["Isoniazid"]`, `drugs = ["Ethambutol"]`, `arm "Arm B": drug "Ethambutol" is not a [[drug]]`},
		{"arm without regimen", `regimen = "Group 2"`, `regimen = ""`, `arm "Arm B" needs a regimen`},
		{"no dosing days", `days = 28`, `days = 0`, "dosing needs first_day"},
		{"all doses missed", `missed = 0.04`, `missed = 1.0`, "dosing needs first_day"},
		{"duplicate checklist item", `"PI_CV", "GCP_TRAINING"`, `"PI_CV", "PI_CV"`, `checklist item "PI_CV" appears twice`},
		{"conflict at an unknown site", `site = "102"`, `site = "104"`, `site "104" is not a [[site]]`},
		{"conflict on an unknown item", `item = "LAB_NORMALS"`, `item = "LAB_RANGES"`, `item "LAB_RANGES" is not in checklist.items`},
		{"conflict on a one-system field", `field = "evidence_doc_id"`, `field = "milestone_signed_off"`, `field "milestone_signed_off" is not one of`},
		{"conflict that agrees", `ctms = "DOC-102-LAB-3"`, `ctms = "DOC-102-LAB-2"`, "must all differ"},
		{"conflict with a bad status", `ctms = "rejected"`, `ctms = "Rework"`, `status "Rework" is not one of`},
		{"conflict with a bad date", `ctms = "2025-02-27"`, `ctms = "27/02/2025"`, `"27/02/2025" is not a date`},
		{"bad rave faults", `rave_faults = "429storm:12@40"`, `rave_faults = "hail:1"`, `trouble.rave_faults: sim: faults "hail:1": unknown fault "hail"`},
		{"malformed subject outside the study", `malformed_subject = "102-017"`, `malformed_subject = "102-117"`, `malformed_subject "102-117" is not a subject`},
		{"wrong drug in the arm", `drug = "Rifapentine"`, `drug = "Isoniazid"`, "the wrong drug must be outside the arm"},
		{"wrong drug unknown", `drug = "Rifapentine"`, `drug = "Aspirin"`, `drug "Aspirin" is not a [[drug]]`},
		{"wrong drug after dosing", `day = 3`, `day = 29`, "day 29 is outside the 28 dosing days"},
		{"wrong drug for an unknown arm", `arm = "Arm B" `, `arm = "Arm C" `, `arm "Arm C" is not an [[arm]]`},
		{"arm change to the same arm", `to = "Arm B"`, `to = "Arm A"`, "must be two different arms"},
		{"arm change of the wrong-drug subject", `subject = "101-012"`, `subject = "103-004"`, "already the wrong-drug subject"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(good, tc.old) {
				t.Fatalf("the study file no longer holds %q", tc.old)
			}
			_, err := Parse("demo.toml", []byte(strings.Replace(good, tc.old, tc.new, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.err)
			}
			if strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "seed demo.toml") {
				t.Fatalf("error is not one line naming the file: %q", err)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "missing.toml")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
	big := filepath.Join(t.TempDir(), "big.toml")
	if err := os.WriteFile(big, make([]byte, maxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "not a study description") {
		t.Errorf("oversized file: %v", err)
	}
}
