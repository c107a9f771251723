package checklist

import (
	"fmt"
	"maps"
	"slices"
)

// Input is one reconciliation's view of the world: both systems' complete listings, decoded by their
// adapters, the stored baselines, and the items whose conflict is still open.
type Input struct {
	EDC  []Record
	CTMS []Record
	// Baselines are the last agreed records, by key.
	Baselines map[Key]Baseline
	// Open holds the keys of the items with an open (not yet adjudicated) conflict.
	Open map[Key]bool
}

// Plan is the decisions of one reconciliation, one per item in key order (records without a readable key
// last, EDC first), and their counts.
type Plan struct {
	Decisions []Decision
	Counts    Counts
}

// Counts are the number of items per outcome.
type Counts struct {
	Items     int
	InSync    int
	WriteCTMS int
	WriteEDC  int
	WriteBoth int
	Conflict  int
	Gap       int
	Unmapped  int
}

func (c *Counts) add(o Outcome) {
	c.Items++
	switch o {
	case OutcomeInSync:
		c.InSync++
	case OutcomeWriteCTMS:
		c.WriteCTMS++
	case OutcomeWriteEDC:
		c.WriteEDC++
	case OutcomeWriteBoth:
		c.WriteBoth++
	case OutcomeConflict:
		c.Conflict++
	case OutcomeGap:
		c.Gap++
	case OutcomeUnmapped:
		c.Unmapped++
	}
}

// String is the summary line `reconcile --once` ends with.
func (c Counts) String() string {
	return fmt.Sprintf("reconciled %d items: in_sync %d, write_ctms %d, write_edc %d, write_both %d, conflict %d, gap %d, unmapped %d",
		c.Items, c.InSync, c.WriteCTMS, c.WriteEDC, c.WriteBoth, c.Conflict, c.Gap, c.Unmapped)
}

// Plan decides every item of in. It lines the two listings up by key (a sort-merge: listings that come
// sorted cost one pass), so a record is never dropped: an item only one system has is a gap, a record
// without a readable key or whose key appears twice in one listing is unmapped. An item that has a
// baseline or an open conflict but that both systems deleted is in_sync with DropBaseline (both agree it
// is gone). The decisions point into in's records; the caller must not change them while it uses the plan.
func (e *Engine) Plan(in Input) Plan {
	recs := [2][]Record{in.EDC, in.CTMS}
	var ord, keyless [2][]int32
	for s := range 2 {
		ord[s], keyless[s] = byKey(recs[s])
	}
	p := Plan{Decisions: make([]Decision, 0, max(len(in.EDC), len(in.CTMS))+len(keyless[0])+len(keyless[1]))}
	var at [2]int
	var withBase, withOpen int
	for at[0] < len(ord[0]) || at[1] < len(ord[1]) {
		// The smallest key at the head of either listing, and its run of records in each.
		var k Key
		first := true
		for s := range 2 {
			if at[s] < len(ord[s]) {
				if hk := recs[s][ord[s][at[s]]].Key(); first || hk.Compare(k) < 0 {
					k, first = hk, false
				}
			}
		}
		var run [2][]int32
		for s := range 2 {
			end := at[s]
			for end < len(ord[s]) && recs[s][ord[s][end]].Key() == k {
				end++
			}
			run[s], at[s] = ord[s][at[s]:end], end
		}
		p.Decisions = append(p.Decisions, Decision{Key: k})
		hadBase, wasOpen := e.decide(&p.Decisions[len(p.Decisions)-1], recs, run, in)
		if hadBase {
			withBase++
		}
		if wasOpen {
			withOpen++
		}
	}
	if withBase < len(in.Baselines) || withOpen < countOpen(in.Open) {
		p.Decisions = vanished(p.Decisions, in)
	}
	for s := range 2 {
		for _, i := range keyless[s] {
			p.Decisions = append(p.Decisions, keylessDecision(&recs[s][i]))
		}
	}
	for i := range p.Decisions {
		p.Counts.add(p.Decisions[i].Outcome)
	}
	return p
}

// byKey returns the indexes of the records that have a key, in key order (listing order among equal
// keys), and those of the records without one.
func byKey(recs []Record) (ord, keyless []int32) {
	ord = make([]int32, 0, len(recs))
	for i := range recs {
		if k := recs[i].Key(); k.Site == "" || k.Code == "" {
			keyless = append(keyless, int32(i))
		} else {
			ord = append(ord, int32(i))
		}
	}
	cmp := func(a, b int32) int {
		if c := recs[a].Item.Key().Compare(recs[b].Item.Key()); c != 0 {
			return c
		}
		return int(a - b)
	}
	if !slices.IsSortedFunc(ord, cmp) {
		slices.SortFunc(ord, cmp)
	}
	return ord, keyless
}

// keylessDecision reports a record without a site or code: it cannot be lined up with anything.
func keylessDecision(r *Record) Decision {
	d := Decision{Key: r.Key(), Outcome: OutcomeUnmapped}
	reason := r.Defect
	if reason == "" {
		reason = "the record has no site or item code"
	}
	d.Defects = []Defect{{System: r.System, Reason: reason, Raw: r.Raw}}
	if r.System == CTMS {
		d.CTMS = r
	} else {
		d.EDC = r
	}
	return d
}

// decide makes the decision d of the item d.Key, whose records are run[s] (indexes into recs[s]). It
// reports whether the item had a baseline and an open conflict.
func (e *Engine) decide(d *Decision, recs [2][]Record, run [2][]int32, in Input) (hadBase, open bool) {
	k := d.Key
	var base *Baseline
	if b, ok := in.Baselines[k]; ok {
		base = &b
	}
	open = len(in.Open) > 0 && in.Open[k]
	var rec [2]*Record
	for s := range 2 {
		if len(run[s]) > 0 {
			rec[s] = &recs[s][run[s][0]]
		}
		if len(run[s]) > 1 {
			for _, i := range run[s] {
				r := &recs[s][i]
				d.Defects = append(d.Defects, Defect{System: r.System,
					Reason: fmt.Sprintf("item %s appears %d times in the %s listing", k, len(run[s]), systems[s].Label()), Raw: r.Raw})
			}
		} else if rec[s] != nil && !rec[s].Mapped() {
			d.Defects = append(d.Defects, Defect{System: rec[s].System, Reason: rec[s].Defect, Raw: rec[s].Raw})
		}
	}
	d.EDC, d.CTMS = rec[0], rec[1]
	switch {
	case len(d.Defects) > 0:
		d.Outcome = OutcomeUnmapped
	case rec[0] == nil:
		e.mergeOne(d, rec, 1, base, open)
	case rec[1] == nil:
		e.mergeOne(d, rec, 0, base, open)
	default:
		e.mergeBoth(d, rec, base, open)
	}
	return base != nil, open
}

func countOpen(open map[Key]bool) int {
	n := 0
	for _, o := range open {
		if o {
			n++
		}
	}
	return n
}

// vanished adds a decision for every item that has a baseline or an open conflict but is in neither
// listing: both systems deleted it, which is agreement — the baseline is dropped and the conflict closes.
// keyed holds the decisions made so far, in key order.
func vanished(keyed []Decision, in Input) []Decision {
	seen := make(map[Key]bool, len(keyed))
	for i := range keyed {
		seen[keyed[i].Key] = true
	}
	var gone []Decision
	for _, k := range slices.SortedFunc(maps.Keys(in.Baselines), Key.Compare) {
		if !seen[k] {
			seen[k] = true
			gone = append(gone, Decision{Key: k, Outcome: OutcomeInSync, DropBaseline: true, ClosesConflict: in.Open[k]})
		}
	}
	for _, k := range slices.SortedFunc(maps.Keys(in.Open), Key.Compare) {
		if in.Open[k] && !seen[k] {
			gone = append(gone, Decision{Key: k, Outcome: OutcomeInSync, ClosesConflict: true})
		}
	}
	if len(gone) == 0 {
		return keyed
	}
	out := append(keyed, gone...)
	slices.SortStableFunc(out, func(a, b Decision) int { return a.Key.Compare(b.Key) })
	return out
}
