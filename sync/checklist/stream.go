package checklist

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
)

// Planning a 100,000-item checklist on whole listings holds both listings in memory at once: every
// record, its canonical reading and its raw bytes, a few hundred megabytes. When both systems list
// their items in key order (the default systems do), the items below both listings' last key so far
// can no longer gain a record, so the planner plans them as the pages arrive and keeps of each
// decision only what committing it needs. Nothing is committed before both listings are whole: an
// item absent from a listing is read as deleted only once that listing has ended. A listing found out
// of key order is read again whole and planned at once, as Plan always can.

// errUnsorted says a listing is not in key order.
var errUnsorted = errors.New("listing not in key order")

// page is one page of one system's listing, or the end of it (done, with the listing's error).
type page struct {
	side int
	recs []Record
	done bool
	err  error
}

// planListings reads the stored state and both listings, plans study's items, and returns the
// decisions that change the store and the run's counts.
func (r *Reconciler) planListings(ctx context.Context) ([]op, Report, error) {
	ops, rep, st, err := r.planStreaming(ctx)
	if !errors.Is(err, errUnsorted) {
		return ops, rep, err
	}
	r.o.Log.Info().Str("study", r.o.Study).Err(err).Msg("a checklist listing is not in key order; planning on the whole listings")
	edc, ctms, err := listBoth(ctx, r.o.Study, r.o.EDC, r.o.CTMS)
	if err != nil {
		return nil, Report{}, err
	}
	plan := r.o.Engine.Plan(Input{EDC: edc, CTMS: ctms, Baselines: st.baselines, Open: st.open})
	rep = Report{}
	ops, decided := r.sortDecisions(&plan, st, &rep)
	return append(ops, staleFindings(slices.SortedFunc(maps.Keys(st.findings), Key.Compare), st, decided)...), rep, nil
}

// planStreaming reads both listings at once and plans them page by page (see above), reading the
// stored state while the first pages arrive. It returns errUnsorted, with the state it read and
// having committed nothing, when a listing turns out not to be in key order.
func (r *Reconciler) planStreaming(ctx context.Context) ([]op, Report, *state, error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	pages := make(chan page, 4)
	for side, rm := range []*Remote{r.o.EDC, r.o.CTMS} {
		wg.Go(func() {
			err := rm.Pages(ctx, r.o.Study, func(recs []Record) error {
				select {
				case pages <- page{side: side, recs: recs}:
					return nil
				case <-ctx.Done():
					return context.Cause(ctx)
				}
			})
			if err != nil {
				err = fmt.Errorf("listing the %s's checklist items: %w", rm.System().Label(), err)
			}
			select {
			case pages <- page{side: side, done: true, err: err}:
			case <-ctx.Done():
			}
		})
	}
	st, err := r.load(ctx)
	if err != nil {
		return nil, Report{}, nil, err
	}
	p := newPlanner(r, st)
	for ended := 0; ended < 2; {
		var pg page
		select {
		case pg = <-pages:
		case <-ctx.Done():
			return nil, Report{}, st, context.Cause(ctx)
		}
		if pg.done {
			if pg.err != nil {
				return nil, Report{}, st, pg.err
			}
			p.ended[pg.side] = true
			ended++
		} else if err := p.add(pg.side, pg.recs); err != nil {
			return nil, Report{}, st, err
		}
		p.flush(false)
	}
	p.flush(true)
	return p.ops, p.rep, st, nil
}

// planner plans the items of sorted listings as far as both have come.
type planner struct {
	r       *Reconciler
	st      *state
	keys    []Key // every key the store knows something of, sorted
	next    int   // keys[:next] have been planned
	buf     [2][]Record
	last    [2]*Key
	ended   [2]bool
	keyless [2][]Record
	ops     []op
	rep     Report
	done    bool // everything is planned
}

func newPlanner(r *Reconciler, st *state) *planner {
	keys := make([]Key, 0, len(st.baselines)+len(st.findings)+len(st.pending)+len(st.open))
	for k := range st.baselines {
		keys = append(keys, k)
	}
	for k := range st.findings {
		keys = append(keys, k)
	}
	for k := range st.pending {
		keys = append(keys, k)
	}
	for k := range st.open {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, Key.Compare)
	return &planner{r: r, st: st, keys: slices.Compact(keys)}
}

// add takes one page of side's listing, checking that it continues the listing's key order.
func (p *planner) add(side int, recs []Record) error {
	for i := range recs {
		k := recs[i].Key()
		if k.Site == "" || k.Code == "" {
			p.keyless[side] = append(p.keyless[side], detachRecord(&recs[i]))
			continue
		}
		if l := p.last[side]; l != nil && k.Compare(*l) < 0 {
			return fmt.Errorf("%w: the %s listed %s after %s", errUnsorted, systems[side].Label(), k, *l)
		}
		p.last[side] = &k
		p.buf[side] = append(p.buf[side], recs[i])
	}
	return nil
}

// take removes the first n records of side's buffer, for a Plan, and returns them. The buffer's array
// is reused: the records still waiting move to its front, and the slots they leave are cleared, so
// that nothing keeps a planned page's body alive.
func (p *planner) take(side, n int) []Record {
	out := slices.Clone(p.buf[side][:n])
	rest := copy(p.buf[side], p.buf[side][n:])
	clear(p.buf[side][rest:])
	p.buf[side] = p.buf[side][:rest]
	return out
}

// flush plans every item below both listings' last key so far (everything, when final or when both
// listings ended).
func (p *planner) flush(final bool) {
	if p.done {
		return
	}
	var bound *Key // nil: no bound, plan everything left
	if !final {
		for s := range 2 {
			switch {
			case p.ended[s]:
			case p.last[s] == nil:
				return // this listing has not started: nothing is known to be complete
			case bound == nil || p.last[s].Compare(*bound) < 0:
				bound = p.last[s]
			}
		}
	}
	below := func(k Key) bool { return bound == nil || k.Compare(*bound) < 0 }
	var chunk [2][]Record
	for s := range 2 {
		n, _ := slices.BinarySearchFunc(p.buf[s], bound, func(r Record, b *Key) int {
			if below(r.Key()) {
				return -1
			}
			return 1
		})
		chunk[s] = p.take(s, n)
	}
	in := Input{EDC: chunk[0], CTMS: chunk[1], Baselines: make(map[Key]Baseline, len(chunk[0])+8), Open: map[Key]bool{}}
	first := p.next
	for p.next < len(p.keys) && below(p.keys[p.next]) {
		k := p.keys[p.next]
		if b, ok := p.st.baselines[k]; ok {
			in.Baselines[k] = b
		}
		if p.st.open[k] {
			in.Open[k] = true
		}
		p.next++
	}
	if bound == nil {
		in.EDC, in.CTMS = append(in.EDC, p.keyless[0]...), append(in.CTMS, p.keyless[1]...)
		p.keyless, p.done = [2][]Record{}, true
	}
	if len(in.EDC)+len(in.CTMS)+len(in.Baselines)+len(in.Open) == 0 && p.next == first && bound != nil {
		return
	}
	plan := p.r.o.Engine.Plan(in)
	ops, decided := p.r.sortDecisions(&plan, p.st, &p.rep)
	p.ops = append(p.ops, ops...)
	var stale []Key
	for _, k := range p.keys[first:p.next] {
		if f := p.st.findings[k]; f != nil && !f.Keyless {
			stale = append(stale, k)
		}
	}
	if bound == nil { // the keyless records were planned with this last chunk
		for _, k := range p.keys {
			if f := p.st.findings[k]; f != nil && f.Keyless {
				stale = append(stale, k)
			}
		}
	}
	p.ops = append(p.ops, staleFindings(stale, p.st, decided)...)
}

// detach copies what committing decision d needs out of the listings' memory (records, raw bytes), so
// that the pages it was planned from can be freed. The records are kept only where the commit reads
// them: a write's target record (its Listed) and a gap's present record.
func detach(d *Decision) *Decision {
	c := *d
	c.EDC, c.CTMS = nil, nil
	switch d.Outcome {
	case OutcomeWriteEDC, OutcomeWriteCTMS, OutcomeWriteBoth, OutcomeGap:
		if d.EDC != nil {
			r := detachRecord(d.EDC)
			c.EDC = &r
		}
		if d.CTMS != nil {
			r := detachRecord(d.CTMS)
			c.CTMS = &r
		}
	}
	if d.Conflict != nil {
		cc := *d.Conflict
		cc.Fields = slices.Clone(cc.Fields)
		cc.EDCRaw, cc.CTMSRaw = bytes.Clone(cc.EDCRaw), bytes.Clone(cc.CTMSRaw)
		if cc.EDC != nil {
			it := *cc.EDC
			cc.EDC = &it
		}
		if cc.CTMS != nil {
			it := *cc.CTMS
			cc.CTMS = &it
		}
		c.Conflict = &cc
	}
	if d.Defects != nil {
		c.Defects = make([]Defect, len(d.Defects))
		for i, df := range d.Defects {
			df.Raw = bytes.Clone(df.Raw)
			c.Defects[i] = df
		}
	}
	return &c
}

// detachRecord is a copy of r with its raw bytes copied out of the page they point into.
func detachRecord(r *Record) Record {
	c := *r
	c.Raw = bytes.Clone(r.Raw)
	return c
}
