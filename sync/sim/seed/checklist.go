package seed

import (
	"fmt"
	"time"

	"github.com/trialsync/trialsync/sync/sim"
)

// ChecklistValues are the canonical values of the checklist fields one system holds for an item, or
// that both systems last agreed on (the baseline). Statuses are canonical (Statuses), dates YYYY-MM-DD.
type ChecklistValues struct {
	Status                string
	EvidenceDocID         string // "" when there is no evidence document
	PlannedActivationDate string // "" when no date is planned
	// MilestoneSignedOff is held by the CTMS only. The EDC's values carry the CTMS's value too, so that a
	// reader compares like with like; a simulator of a system without the field ignores it.
	MilestoneSignedOff bool
}

// ChecklistItem is one site's checklist item as the EDC and the CTMS hold it, and the baseline: what
// a previous reconciliation of the two agreed on. Outside the declared conflicts (and the drift of a
// synthetic checklist) all three hold the same values.
type ChecklistItem struct {
	Site, Code, Version string
	Baseline, EDC, CTMS ChecklistValues
}

// ChecklistItems returns every site's every checklist item, site by site in the order of the study,
// with the values each system holds and the baseline. Values follow from the study's seed; the
// declared conflicts set their field to the baseline, EDC and CTMS values they name.
//
// The baseline is what a reconciliation before the demo agreed on. A demo or a test that wants to meet
// the conflicts stores these baselines first: without a baseline the first reconciliation is an
// initial alignment, in which each field's owner wins and no conflict can arise.
func (st *Study) ChecklistItems() []ChecklistItem {
	sites := make([]string, len(st.Sites))
	for i, s := range st.Sites {
		sites[i] = s.OID
	}
	items := GenerateChecklist(st.Seed, sites, st.Checklist.Items, 0)
	index := map[[2]string]int{}
	for i, it := range items {
		index[[2]string{it.Site, it.Code}] = i
	}
	for _, c := range st.Checklist.Conflicts {
		it := &items[index[[2]string{c.Site, c.Item}]]
		set := func(v *ChecklistValues, value string) {
			switch c.Field {
			case "status":
				v.Status = value
			case "evidence_doc_id":
				v.EvidenceDocID = value
			case "planned_activation_date":
				v.PlannedActivationDate = value
			}
		}
		set(&it.Baseline, c.Baseline)
		set(&it.EDC, c.EDC)
		set(&it.CTMS, c.CTMS)
	}
	return items
}

// GenerateChecklist makes a checklist of every code at every site, with values drawn from seed. A
// fraction drift of the items (0 to 1) has one field changed on one side since the baseline (a status
// moved on, a document replaced, a date moved), as the days between two reconciliations leave them:
// each such item needs a write and none is a conflict. A benchmark builds its 100,000 items per side
// with it (1,000 sites of 100 codes, drift 0.01).
func GenerateChecklist(seed int64, sites, codes []string, drift float64) []ChecklistItem {
	out := make([]ChecklistItem, 0, len(sites)*len(codes))
	for si, site := range sites {
		for ci, code := range codes {
			p := func(what string, n int) int { return sim.Pick(seed, what, int64(si), int64(ci), n) }
			v := ChecklistValues{Status: Statuses[weighted(p("status", 100), 20, 30, 45, 5)]}
			if v.Status != "not_started" {
				v.EvidenceDocID = fmt.Sprintf("DOC-%s-%s-1", site, code)
			}
			if p("planned", 10) < 8 {
				v.PlannedActivationDate = plannedBase.AddDate(0, 0, p("date", 82)).Format(time.DateOnly)
			}
			v.MilestoneSignedOff = v.Status == "complete" && p("signed", 10) < 9
			it := ChecklistItem{Site: site, Code: code, Version: []string{"v1", "v2"}[p("version", 2)], Baseline: v, EDC: v, CTMS: v}
			if drift > 0 && float64(p("drift", 1_000_000)) < drift*1_000_000 {
				side := &it.EDC
				if p("side", 2) == 1 {
					side = &it.CTMS
				}
				switch p("field", 3) {
				case 0:
					side.Status = Statuses[(statusIndex(side.Status)+1)%len(Statuses)]
				case 1:
					side.EvidenceDocID = fmt.Sprintf("DOC-%s-%s-2", site, code)
				default:
					side.PlannedActivationDate = plannedBase.AddDate(0, 0, 90+p("moved", 30)).Format(time.DateOnly)
				}
			}
			out = append(out, it)
		}
	}
	return out
}

// plannedBase is the first planned activation date a generated checklist holds.
var plannedBase = time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)

// weighted maps r in [0, 100) to the index of the weight band it falls in.
func weighted(r int, weights ...int) int {
	for i, w := range weights {
		if r < w {
			return i
		}
		r -= w
	}
	return len(weights) - 1
}

func statusIndex(s string) int {
	for i, x := range Statuses {
		if x == s {
			return i
		}
	}
	return 0
}

// SyntheticChecklist is GenerateChecklist at scale: n items, 100 codes (ITEM_000 …) at each of as
// many sites (S0001 …) as n needs, the last site cut short.
func SyntheticChecklist(seed int64, n int, drift float64) []ChecklistItem {
	codes := make([]string, 100)
	for i := range codes {
		codes[i] = fmt.Sprintf("ITEM_%03d", i)
	}
	sites := make([]string, (n+len(codes)-1)/len(codes))
	for i := range sites {
		sites[i] = fmt.Sprintf("S%04d", i+1)
	}
	return GenerateChecklist(seed, sites, codes, drift)[:n]
}
