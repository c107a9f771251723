package seed

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/trialsync/trialsync/sync/sim"
)

// Study is the demo's trial, as every simulator sees it.
type Study struct {
	OID             string // Rave study OID, Project(Env)
	Name            string
	Seed            int64 // every generated value follows from it
	SubjectsPerSite int
	Visits          int    // repeating vital-signs visits per subject
	ExposureEvent   string // the Rave folder (StudyEventOID) dose log lines go to
	Sites           []Site
	Drugs           []Drug
	Arms            []Arm
	Dosing          Dosing
	Checklist       Checklist
	Trouble         Trouble
}

// Site is one investigator site: its Rave LocationOID and its name.
type Site struct{ OID, Name string }

// Drug is a study drug: its name as dose reports give it, the Rave exposure log form its doses go
// to, and the daily dose.
type Drug struct {
	Name   string
	Form   string
	DoseMG int
}

// Arm is a randomised arm: the value of RAND.ARM in Rave, the SureAdhere regimen it maps to, and
// the drugs its subjects take.
type Arm struct {
	Name    string
	Regimen string
	Drugs   []string
}

// Dosing is the dosing period: one dose of each of the arm's drugs a day for Days days from FirstDay
// (UTC midnight); Missed is the probability that a day's dose is not taken.
type Dosing struct {
	FirstDay time.Time
	Days     int
	Missed   float64
}

// Checklist is the site-activation checklist every site has, in the EDC and in the CTMS.
type Checklist struct {
	StudyID   string
	Items     []string // item codes, the same at every site
	Conflicts []Conflict
}

// Conflict is a field both systems changed, differently, since the value they last agreed on.
// Values are canonical (statuses not_started, in_review, complete, rejected; dates YYYY-MM-DD).
type Conflict struct {
	Site, Item, Field   string
	Baseline, EDC, CTMS string
}

// ConflictFields are the canonical checklist fields both systems hold, the only ones that can conflict.
var ConflictFields = []string{"status", "evidence_doc_id", "planned_activation_date"}

// Statuses are the canonical checklist statuses, in order.
var Statuses = []string{"not_started", "in_review", "complete", "rejected"}

// Trouble is what goes wrong on purpose, once each.
type Trouble struct {
	// RaveFaults is the RWS simulator's fault spec (sync/sim grammar), e.g. one 429 storm.
	RaveFaults string
	// MalformedSubject is a subject whose data Rave serves with an item lacking its ItemOID.
	MalformedSubject string
	// WrongDrug is a dose report naming a drug outside the subject's arm (nil: none).
	WrongDrug *WrongDrug
	// ArmChange is a subject whose arm Rave corrects after it was pushed to SureAdhere (nil: none).
	ArmChange *ArmChange
}

// WrongDrug is a dose report, on dosing day Day (1-based), of Drug for Subject, whose arm is Arm.
type WrongDrug struct {
	Subject, Arm, Drug string
	Day                int
}

// ArmChange is Subject's arm going From → To after the push to SureAdhere.
type ArmChange struct{ Subject, From, To string }

// maxFileSize bounds what Load reads: a study description is a few kilobytes.
const maxFileSize = 1 << 20

// Load reads and checks the study description at path.
func Load(path string) (*Study, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("seed: read %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("seed %s: larger than %d bytes; not a study description", path, maxFileSize)
	}
	return Parse(path, data)
}

// Parse reads and checks a study description; name is used in errors.
func Parse(name string, data []byte) (*Study, error) {
	var fs fileSeed
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fs); err != nil {
		var sm *toml.StrictMissingError
		var de *toml.DecodeError
		switch {
		case errors.As(err, &sm) && len(sm.Errors) > 0:
			line, _ := sm.Errors[0].Position()
			return nil, fmt.Errorf("seed %s:%d: unknown key %s", name, line, strings.Join(sm.Errors[0].Key(), "."))
		case errors.As(err, &de):
			line, _ := de.Position()
			if key := de.Key(); len(key) > 0 {
				return nil, fmt.Errorf("seed %s:%d: %s has the wrong type", name, line, strings.Join(key, "."))
			}
			return nil, fmt.Errorf("seed %s:%d: %s", name, line, de.Error())
		}
		return nil, fmt.Errorf("seed %s: %w", name, err)
	}
	st := convert(&fs)
	if err := st.check(); err != nil {
		return nil, fmt.Errorf("seed %s: %w", name, err)
	}
	return st, nil
}

// convert is the one place where the file's shape becomes a Study.
func convert(fs *fileSeed) *Study {
	st := &Study{
		OID: fs.Study.OID, Name: fs.Study.Name, Seed: fs.Study.Seed, SubjectsPerSite: fs.Study.SubjectsPerSite,
		Visits: fs.Study.Visits, ExposureEvent: fs.Study.ExposureEvent,
		Dosing:    Dosing{Days: fs.Dosing.Days, Missed: fs.Dosing.Missed},
		Checklist: Checklist{StudyID: fs.Checklist.StudyID, Items: fs.Checklist.Items},
		Trouble:   Trouble{RaveFaults: fs.Trouble.RaveFaults, MalformedSubject: fs.Trouble.MalformedSubject},
	}
	if d := fs.Dosing.FirstDay; d.Year != 0 {
		st.Dosing.FirstDay = time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
	}
	for _, s := range fs.Sites {
		st.Sites = append(st.Sites, Site(s))
	}
	for _, d := range fs.Drugs {
		st.Drugs = append(st.Drugs, Drug(d))
	}
	for _, a := range fs.Arms {
		st.Arms = append(st.Arms, Arm(a))
	}
	for _, c := range fs.Checklist.Conflicts {
		st.Checklist.Conflicts = append(st.Checklist.Conflicts, Conflict(c))
	}
	if w := fs.Trouble.WrongDrug; w != nil {
		st.Trouble.WrongDrug = &WrongDrug{Subject: w.Subject, Arm: w.Arm, Drug: w.Drug, Day: w.Day}
	}
	if a := fs.Trouble.ArmChange; a != nil {
		st.Trouble.ArmChange = &ArmChange{Subject: a.Subject, From: a.From, To: a.To}
	}
	return st
}

// check validates the whole description; the first problem is returned.
func (st *Study) check() error {
	switch {
	case st.OID == "":
		return errors.New("study.oid is missing")
	case st.Seed == 0:
		return errors.New("study.seed is missing (any whole number but 0)")
	case st.SubjectsPerSite < 1 || st.SubjectsPerSite > 999:
		return fmt.Errorf("study.subjects_per_site %d is not between 1 and 999", st.SubjectsPerSite)
	case st.Visits < 1:
		return fmt.Errorf("study.visits %d is not positive", st.Visits)
	case st.ExposureEvent == "":
		return errors.New("study.exposure_event is missing")
	case len(st.Sites) == 0:
		return errors.New("no [[site]]")
	case len(st.Drugs) == 0:
		return errors.New("no [[drug]]")
	case len(st.Arms) == 0:
		return errors.New("no [[arm]]")
	}
	if err := unique("site", len(st.Sites), func(i int) string { return st.Sites[i].OID }); err != nil {
		return err
	}
	for _, s := range st.Sites {
		if strings.ContainsAny(s.OID, "- ") {
			return fmt.Errorf("site %q: a site OID has no dash or space (subjects are named SITE-NNN)", s.OID)
		}
	}
	if err := unique("drug", len(st.Drugs), func(i int) string { return st.Drugs[i].Name }); err != nil {
		return err
	}
	for _, d := range st.Drugs {
		if d.Form == "" || d.DoseMG <= 0 {
			return fmt.Errorf("drug %q needs a form and a positive dose_mg", d.Name)
		}
	}
	if err := unique("arm", len(st.Arms), func(i int) string { return st.Arms[i].Name }); err != nil {
		return err
	}
	for _, a := range st.Arms {
		if a.Regimen == "" || len(a.Drugs) == 0 {
			return fmt.Errorf("arm %q needs a regimen and drugs", a.Name)
		}
		for _, d := range a.Drugs {
			if _, ok := st.Drug(d); !ok {
				return fmt.Errorf("arm %q: drug %q is not a [[drug]]", a.Name, d)
			}
		}
	}
	if st.Dosing.FirstDay.IsZero() || st.Dosing.Days < 1 || st.Dosing.Missed < 0 || st.Dosing.Missed >= 1 {
		return errors.New("dosing needs first_day, days of at least 1, and missed from 0 to below 1")
	}
	if err := st.checkChecklist(); err != nil {
		return err
	}
	return st.checkTrouble()
}

func (st *Study) checkChecklist() error {
	c := st.Checklist
	if c.StudyID == "" || len(c.Items) == 0 {
		return errors.New("checklist needs study_id and items")
	}
	if err := unique("checklist item", len(c.Items), func(i int) string { return c.Items[i] }); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, k := range c.Conflicts {
		where := fmt.Sprintf("checklist conflict %s/%s", k.Site, k.Item)
		switch {
		case !st.hasSite(k.Site):
			return fmt.Errorf("%s: site %q is not a [[site]]", where, k.Site)
		case !slices.Contains(c.Items, k.Item):
			return fmt.Errorf("%s: item %q is not in checklist.items", where, k.Item)
		case !slices.Contains(ConflictFields, k.Field):
			return fmt.Errorf("%s: field %q is not one of %s", where, k.Field, strings.Join(ConflictFields, ", "))
		case k.EDC == k.CTMS || k.EDC == k.Baseline || k.CTMS == k.Baseline:
			return fmt.Errorf("%s: baseline, edc and ctms must all differ to make a conflict", where)
		case seen[k.Site+"/"+k.Item+"/"+k.Field]:
			return fmt.Errorf("%s: field %q has two conflicts", where, k.Field)
		}
		seen[k.Site+"/"+k.Item+"/"+k.Field] = true
		for _, v := range []string{k.Baseline, k.EDC, k.CTMS} {
			switch k.Field {
			case "status":
				if !slices.Contains(Statuses, v) {
					return fmt.Errorf("%s: status %q is not one of %s", where, v, strings.Join(Statuses, ", "))
				}
			case "planned_activation_date":
				if _, err := time.Parse(time.DateOnly, v); err != nil {
					return fmt.Errorf("%s: %q is not a date YYYY-MM-DD", where, v)
				}
			}
		}
	}
	return nil
}

func (st *Study) checkTrouble() error {
	t := st.Trouble
	if _, err := sim.ParseFaults(t.RaveFaults, st.Seed); err != nil {
		return fmt.Errorf("trouble.rave_faults: %w", err)
	}
	if t.MalformedSubject != "" && !st.HasSubject(t.MalformedSubject) {
		return fmt.Errorf("trouble.malformed_subject %q is not a subject of the study", t.MalformedSubject)
	}
	if w := t.WrongDrug; w != nil {
		arm, ok := st.Arm(w.Arm)
		switch {
		case !st.HasSubject(w.Subject):
			return fmt.Errorf("trouble.wrong_drug: subject %q is not a subject of the study", w.Subject)
		case !ok:
			return fmt.Errorf("trouble.wrong_drug: arm %q is not an [[arm]]", w.Arm)
		case !st.hasDrug(w.Drug):
			return fmt.Errorf("trouble.wrong_drug: drug %q is not a [[drug]]", w.Drug)
		case slices.Contains(arm.Drugs, w.Drug):
			return fmt.Errorf("trouble.wrong_drug: %s takes %s; the wrong drug must be outside the arm", w.Arm, w.Drug)
		case w.Day < 1 || w.Day > st.Dosing.Days:
			return fmt.Errorf("trouble.wrong_drug: day %d is outside the %d dosing days", w.Day, st.Dosing.Days)
		}
	}
	if a := t.ArmChange; a != nil {
		_, okFrom := st.Arm(a.From)
		_, okTo := st.Arm(a.To)
		switch {
		case !st.HasSubject(a.Subject):
			return fmt.Errorf("trouble.arm_change: subject %q is not a subject of the study", a.Subject)
		case !okFrom || !okTo || a.From == a.To:
			return fmt.Errorf("trouble.arm_change: from %q and to %q must be two different arms", a.From, a.To)
		case t.WrongDrug != nil && t.WrongDrug.Subject == a.Subject:
			return fmt.Errorf("trouble.arm_change: subject %q is already the wrong-drug subject", a.Subject)
		}
	}
	return nil
}

func unique(what string, n int, key func(int) string) error {
	seen := map[string]bool{}
	for i := range n {
		k := key(i)
		if k == "" {
			return fmt.Errorf("%s %d has no name", what, i+1)
		}
		if seen[k] {
			return fmt.Errorf("%s %q appears twice", what, k)
		}
		seen[k] = true
	}
	return nil
}

func (st *Study) hasSite(oid string) bool {
	return slices.ContainsFunc(st.Sites, func(s Site) bool { return s.OID == oid })
}

func (st *Study) hasDrug(name string) bool { _, ok := st.Drug(name); return ok }

// Drug returns the drug of that name.
func (st *Study) Drug(name string) (Drug, bool) {
	i := slices.IndexFunc(st.Drugs, func(d Drug) bool { return d.Name == name })
	if i < 0 {
		return Drug{}, false
	}
	return st.Drugs[i], true
}

// Arm returns the arm of that name.
func (st *Study) Arm(name string) (Arm, bool) {
	i := slices.IndexFunc(st.Arms, func(a Arm) bool { return a.Name == name })
	if i < 0 {
		return Arm{}, false
	}
	return st.Arms[i], true
}

// SubjectName is the name of the n-th subject (1-based) of a site, "101-007": how Rave names the
// seeded subjects.
func SubjectName(site string, n int) string { return fmt.Sprintf("%s-%03d", site, n) }

// Subjects returns every subject's name, site by site.
func (st *Study) Subjects() []string {
	out := make([]string, 0, len(st.Sites)*st.SubjectsPerSite)
	for _, s := range st.Sites {
		for n := 1; n <= st.SubjectsPerSite; n++ {
			out = append(out, SubjectName(s.OID, n))
		}
	}
	return out
}

// HasSubject reports whether name is one of the study's subjects.
func (st *Study) HasSubject(name string) bool {
	site, num, ok := strings.Cut(name, "-")
	n, err := strconv.Atoi(num)
	return ok && err == nil && len(num) == 3 && n >= 1 && n <= st.SubjectsPerSite && st.hasSite(site)
}

// FixedArms returns the subjects whose arm the trouble fixes rather than leaving it to the draw: the
// wrong-drug subject's arm and the arm-change subject's arm at randomisation.
func (st *Study) FixedArms() map[string]string {
	m := map[string]string{}
	if w := st.Trouble.WrongDrug; w != nil {
		m[w.Subject] = w.Arm
	}
	if a := st.Trouble.ArmChange; a != nil {
		m[a.Subject] = a.From
	}
	return m
}
