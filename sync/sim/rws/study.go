package rws

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"github.com/trialsync/trialsync/sync/sim"
)

// seededStudy is the seeded study: a pure function of the options, so any audit record, subject or
// dataset row can be produced on demand without holding the study in memory.
type seededStudy struct {
	oid      string
	seed     int64
	sites    []string
	perSite  int
	template []entry // one subject's audit entries, in order; the same shape for every subject
	itemIdx  map[string]int
	fixedBy  []int // for each template entry, the index of the correction replacing its value, or -1
	layout   idLayout
	byName   map[string]int
	names    []string
	uuids    []string
	byUUID   map[string]int
	baseTime time.Time
	step     time.Duration
	arms     []string
	armOf    map[string]string
	// malformed is the subject whose blocks are served without one ItemOID (-1: none).
	malformed int
}

// entry is one audit entry of a subject: the subject's creation or one item value set.
type entry struct {
	kind       entryKind
	item       itemRef
	corrects   int // for corrections: the index of the entry whose value is replaced
	valueClass string
}

type entryKind uint8

const (
	entrySubjectCreated entryKind = iota
	entryEntered
	entryCorrected
)

// itemRef is the context of one item value inside a subject.
type itemRef struct {
	event, eventRepeat, form, formRepeat, group, groupRepeat, item string
}

func (r itemRef) key() string {
	return r.event + "\x00" + r.eventRepeat + "\x00" + r.form + "\x00" + r.formRepeat + "\x00" + r.group + "\x00" + r.groupRepeat + "\x00" + r.item
}

// builtinForms are the forms the seeded study's metadata defines, with their items.
var builtinForms = map[string][]string{
	"DM":   {"DM.BRTHDTC", "DM.SEX", "DM.COUNTRY", "DM.INITIALS"},
	"RAND": {"RAND.DSSTDT", "RAND.ARM"},
	"AE":   {"AE.AETERM", "AE.AESEV", "AE.AECOMM"},
	"VS":   {"VS.SYSBP", "VS.DIABP", "VS.PULSE", "VS.TEMP"},
}

func newStudy(o Options) *seededStudy {
	st := &seededStudy{
		oid: o.Study, seed: o.Seed, sites: o.Sites, perSite: o.SubjectsPerSite,
		baseTime: time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC), step: 7 * time.Second,
		itemIdx: map[string]int{}, arms: o.Arms, armOf: o.ArmOf, malformed: -1,
	}
	add := func(e entry) {
		if e.kind != entrySubjectCreated {
			st.itemIdx[e.item.key()] = len(st.template)
		}
		st.template = append(st.template, e)
	}
	add(entry{kind: entrySubjectCreated})
	for _, it := range builtinForms["DM"] {
		add(entry{kind: entryEntered, item: itemRef{"SCREEN", "", "DM", "1", "DM", "", it}, valueClass: it})
	}
	for _, it := range builtinForms["RAND"] {
		add(entry{kind: entryEntered, item: itemRef{"SCREEN", "", "RAND", "1", "RAND", "", it}, valueClass: it})
	}
	for line := 1; line <= 2; line++ {
		for _, it := range builtinForms["AE"] {
			add(entry{kind: entryEntered, item: itemRef{"AE", "", "AE", "1", "AE_LOG_LINE", strconv.Itoa(line), it}, valueClass: it})
		}
	}
	for v := 1; v <= o.Visits; v++ {
		for _, it := range builtinForms["VS"] {
			add(entry{kind: entryEntered, item: itemRef{"VISIT", strconv.Itoa(v), "VS", "1", "VS", "", it}, valueClass: it})
		}
	}
	// About one value in eight is corrected later with a reason for change.
	base := len(st.template)
	for i := 1; i < base; i += 8 {
		st.template = append(st.template, entry{kind: entryCorrected, item: st.template[i].item, corrects: i, valueClass: st.template[i].valueClass})
	}
	st.fixedBy = make([]int, len(st.template))
	for i := range st.fixedBy {
		st.fixedBy[i] = -1
	}
	for c, e := range st.template {
		if e.kind == entryCorrected {
			st.fixedBy[e.corrects] = c
		}
	}
	st.byName, st.byUUID = map[string]int{}, map[string]int{}
	for i := range st.subjects() {
		st.names = append(st.names, st.makeName(i))
		st.uuids = append(st.uuids, st.makeUUID(i))
	}
	for i := range st.subjects() {
		st.byName[st.subjectName(i)] = i
		st.byUUID[st.subjectUUID(i)] = i
	}
	if i, ok := st.byName[o.MalformedSubject]; ok {
		st.malformed = i
	}
	st.layout = newIDLayout(o.Seed, o.FirstAuditID, int64(st.subjects())*int64(len(st.template)))
	return st
}

func (st *seededStudy) subjects() int { return len(st.sites) * st.perSite }

// total is the number of generated audit records.
func (st *seededStudy) total() int64 { return int64(st.subjects()) * int64(len(st.template)) }

// recordAt locates generated record k: audit entries go round-robin over subjects, so the feed
// interleaves subjects as a live study does.
func (st *seededStudy) recordAt(k int64) (subject, entryIdx int) {
	n := int64(st.subjects())
	return int(k % n), int(k / n)
}

// recordIndex is the inverse of recordAt.
func (st *seededStudy) recordIndex(subject, entryIdx int) int64 {
	return int64(entryIdx)*int64(st.subjects()) + int64(subject)
}

func (st *seededStudy) recordTime(k int64) time.Time {
	return st.baseTime.Add(time.Duration(k) * st.step)
}

// subjectName is "101-001" style: site, dash, number within the site.
func (st *seededStudy) subjectName(s int) string { return st.names[s] }

func (st *seededStudy) makeName(s int) string {
	return fmt.Sprintf("%s-%03d", st.sites[s/st.perSite], s%st.perSite+1)
}

func (st *seededStudy) subjectSite(s int) string { return st.sites[s/st.perSite] }

// subjectUUID is a stable, seeded UUID for subject s.
func (st *seededStudy) subjectUUID(s int) string { return st.uuids[s] }

func (st *seededStudy) makeUUID(s int) string {
	h := st.hash("uuid", int64(s), 0)
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func (st *seededStudy) hash(what string, a, b int64) [32]byte {
	var buf [24]byte
	binary.BigEndian.PutUint64(buf[0:], uint64(st.seed))
	binary.BigEndian.PutUint64(buf[8:], uint64(a))
	binary.BigEndian.PutUint64(buf[16:], uint64(b))
	return sha256.Sum256(append([]byte(what), buf[:]...))
}

// pick is the study's seeded choice in [0, n) for (what, a, b) (sim.Pick).
func (st *seededStudy) pick(what string, a, b int64, n int) int {
	return sim.Pick(st.seed, what, a, b, n)
}

// instanceIDs are the mdsol InstanceId, DataPageId and RecordId Rave gives the folder, page and record
// an item lives in.
func (st *seededStudy) instanceIDs(s int, ref itemRef) [3]int64 {
	base := int64(s+1) * 1000
	ev := int64(st.pick(ref.event+ref.eventRepeat, 0, 0, 97))
	fm := int64(st.pick(ref.form, 0, 0, 89))
	gr := int64(st.pick(ref.group+ref.groupRepeat, 0, 0, 83))
	return [3]int64{base*10 + ev, base*100 + ev*100 + fm, base*1000 + ev*1000 + fm*10 + gr}
}

var (
	aeTerms = []string{
		"Céphalée & nausée <légère>",
		"頭痛",
		"Übelkeit nach Einnahme",
		"Rash \"mild\" on forearm",
		"Fatigue",
	}
	aeComments = []string{"Resolved without treatment", "Line one\nline two", "Patient's own words: «fine»", ""}
	countries  = []string{"GBR", "DEU", "FRA", "JPN", "ZAF", "BRA"}
	initials   = []string{"J.Ø.", "A.B.", "M.É.", "K.S.", "Z.Ł."}
	months     = []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
)

// value is the value entry j sets for subject s (a correction sets a different value than the entry
// it corrects).
func (st *seededStudy) value(s, j int) string {
	e := st.template[j]
	salt := int64(0)
	if e.kind == entryCorrected {
		salt = 1
	}
	p := func(n int) int { return st.pick(e.valueClass, int64(s)<<20|int64(j), salt, n) }
	switch e.valueClass {
	case "DM.BRTHDTC":
		return fmt.Sprintf("%02d %s %d", 1+p(28), months[p(12)], 1940+p(60))
	case "DM.SEX":
		return []string{"M", "F"}[p(2)]
	case "DM.COUNTRY":
		return countries[p(len(countries))]
	case "DM.INITIALS":
		return initials[p(len(initials))]
	case "RAND.DSSTDT":
		return fmt.Sprintf("%02d %s 2024", 1+p(28), months[p(12)])
	case "RAND.ARM":
		if arm, ok := st.armOf[st.names[s]]; ok {
			return arm
		}
		return st.arms[p(len(st.arms))]
	case "AE.AETERM":
		return aeTerms[p(len(aeTerms))]
	case "AE.AESEV":
		return []string{"MILD", "MODERATE", "SEVERE"}[p(3)]
	case "AE.AECOMM":
		return aeComments[p(len(aeComments))]
	case "VS.SYSBP":
		return strconv.Itoa(95 + p(60))
	case "VS.DIABP":
		return strconv.Itoa(55 + p(40))
	case "VS.PULSE":
		return strconv.Itoa(50 + p(60))
	case "VS.TEMP":
		return fmt.Sprintf("%d.%d", 36+p(3), p(10))
	}
	return ""
}

// auditUser is the Rave user who made entry j for subject s.
func (st *seededStudy) auditUser(s, j int) string {
	return []string{"crc.jones", "crc.nakamura", "dm.müller", "inv.okafor"}[st.pick("user", int64(s), int64(j), 4)]
}

// currentEntry is the index of the entry whose value for template entry j is current for subject s,
// among the records visible (global index < visible); ok is false when j itself is not yet visible.
func (st *seededStudy) currentEntry(s, j int, visible int64) (cur int, ok bool) {
	if st.recordIndex(s, j) >= visible {
		return 0, false
	}
	if c := st.fixedBy[j]; c >= 0 && st.recordIndex(s, c) < visible {
		return c, true
	}
	return j, true
}

// subjectIndex finds a seeded subject by name.
func (st *seededStudy) subjectIndex(name string) (int, bool) {
	i, ok := st.byName[name]
	return i, ok
}
