package rws

import (
	"bytes"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/trialsync/trialsync/sync/sim/simtest"
)

// TestFromSeed serves the demo's study from testdata/seed/study.toml: its sites and 300 subjects,
// the arms the trouble fixes, the drug forms posts may write, the malformed subject in both feeds,
// and the one 429 storm at the request the seed names.
func TestFromSeed(t *testing.T) {
	st := simtest.DemoStudy(t)
	opts := FromSeed(st)
	faults := opts.Faults
	opts.Faults = "" // the storm is checked on its own server below
	s := startRWS(t, opts)

	if got := s.Subjects(); len(got) != 300 || !slices.Equal(got, st.Subjects()) {
		t.Fatalf("%d subjects, want the seed's 300", len(got))
	}
	if !slices.Equal(s.Options().ExtraForms, []string{"EX_INH", "EX_RPT"}) || !slices.Equal(s.Options().Arms, []string{"Arm A", "Arm B"}) {
		t.Fatalf("forms %v, arms %v", s.Options().ExtraForms, s.Options().Arms)
	}
	armKey := func(subject string) ItemKey {
		return ItemKey{Subject: subject, Event: "SCREEN", Form: "RAND", ItemGroup: "RAND", Item: "RAND.ARM"}
	}
	for subject, arm := range st.FixedArms() {
		if v, _, ok := s.Value(armKey(subject)); !ok || v != arm {
			t.Errorf("%s: RAND.ARM %q, the seed fixes %q", subject, v, arm)
		}
	}
	arms := map[string]int{}
	for _, subject := range st.Subjects() {
		v, _, _ := s.Value(armKey(subject))
		arms[v]++
	}
	if len(arms) != 2 || arms["Arm A"] < 100 || arms["Arm B"] < 100 {
		t.Errorf("arms drawn %v", arms)
	}

	// The malformed subject, in a smaller cut of the same study (subjects per site up to it, one
	// visit) so that both whole feeds stay small.
	bad := st.Trouble.MalformedSubject
	_, num, _ := strings.Cut(bad, "-")
	n, _ := strconv.Atoi(num)
	small := opts
	small.SubjectsPerSite, small.Visits = n, 1
	sm := startRWS(t, small)
	_, dataset, _ := get(t, sm, "GET", "studies/ALPHA(Prod)/datasets/regular", nil)
	_, audit, _ := get(t, sm, "GET", "datasets/ClinicalAuditRecords.odm?studyoid=ALPHA(Prod)&startid=1&per_page=100000000", nil)
	for name, doc := range map[string][]byte{"dataset": dataset, "audit feed": audit} {
		if err := wellFormed(doc); err != nil {
			t.Fatalf("%s not well-formed: %v", name, err)
		}
		if n := len(regexp.MustCompile(`<ItemData[^>]*>`).FindAll(doc, -1)) - bytes.Count(doc, []byte("<ItemData ItemOID=")); n != 1 {
			t.Errorf("%s: %d items without ItemOID, want 1", name, n)
		}
	}
	i := bytes.Index(dataset, []byte(`<ItemData Value=`))
	if i < 0 || bytes.LastIndex(dataset[:i], []byte(`SubjectKey="`+bad+`"`)) < bytes.LastIndex(dataset[:i], []byte(`SubjectKey="`)) {
		t.Errorf("the item without ItemOID is not in %s's block", bad)
	}

	stormy := startRWS(t, Options{Seed: st.Seed, Faults: faults})
	var got []int
	for range 55 {
		resp, _, err := get(t, stormy, "GET", "studies", nil)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, resp.StatusCode)
	}
	first := slices.Index(got, http.StatusTooManyRequests)
	if first != 39 || stormy.Count("429") != 12 || !slices.Equal(got[39:51], slices.Repeat([]int{429}, 12)) {
		t.Fatalf("statuses %v", got)
	}
}
