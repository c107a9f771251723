package checklist

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/outbox"
)

// batchSize bounds the decisions committed in one transaction. Each decision is whole in one
// transaction either way; grouping them spares a 100,000-item first run a commit per item.
const batchSize = 1024

// op is a decision that changes the store, with what the plan saw of the item, so that the
// transaction can tell whether the item moved on meanwhile.
type op struct {
	d           *Decision // nil: only clear a finding the item no longer has
	key         Key       // the item's key in the store (a record without a key gets one of its own)
	sawRev      int64     // the stored baseline's revision when planned, -1 for none
	sawConflict string    // the open conflict's ID when planned, "" for none
}

// sortDecisions counts the plan's outcomes into rep and returns the decisions that change something,
// detached from the listings (see detach), and the store keys of every item decided. An item whose
// earlier decision is still pending is counted under that decision and not acted on.
func (r *Reconciler) sortDecisions(plan *Plan, st *state, rep *Report) ([]op, map[Key]bool) {
	var ops []op
	decided := make(map[Key]bool, len(plan.Decisions))
	for i := range plan.Decisions {
		d := &plan.Decisions[i]
		k := storeKey(d)
		decided[k] = true
		if p := st.pending[k]; p != nil {
			rep.InFlight++
			rep.Counts.add(p.Outcome)
			continue
		}
		rep.Counts.add(d.Outcome)
		if !r.changes(d, k, st) {
			continue
		}
		o := op{d: detach(d), key: k, sawRev: -1}
		if b, ok := st.baselines[k]; ok {
			o.sawRev = int64(b.Revision)
		}
		if c := st.conflicts[k]; c != nil {
			o.sawConflict = c.ID
		}
		ops = append(ops, o)
	}
	return ops, decided
}

// staleFindings are the ops that clear the findings of keys (sorted) that no decision covered: the
// item is gone from both systems, or its record got a readable key.
func staleFindings(keys []Key, st *state, decided map[Key]bool) []op {
	var ops []op
	for _, k := range keys {
		if st.findings[k] != nil && !decided[k] {
			ops = append(ops, op{key: k})
		}
	}
	return ops
}

// changes reports whether decision d of item k changes anything stored.
func (r *Reconciler) changes(d *Decision, k Key, st *state) bool {
	switch d.Outcome {
	case OutcomeWriteEDC, OutcomeWriteCTMS, OutcomeWriteBoth:
		return true
	case OutcomeConflict:
		c := st.conflicts[k]
		return c == nil || !sameConflict(&c.Conflict, d.Conflict)
	case OutcomeGap, OutcomeUnmapped:
		return !st.findings[k].same(findingOf(d, time.Time{}))
	}
	return d.Baseline != nil || d.DropBaseline || d.ClosesConflict || st.findings[k] != nil
}

// apply commits the ops in batches, each decision whole within one transaction.
func (r *Reconciler) apply(ctx context.Context, ops []op, rep *Report) error {
	for start := 0; start < len(ops); start += batchSize {
		chunk := ops[start:min(start+batchSize, len(ops))]
		var tally Report
		err := r.o.DB.Update(ctx, func(tx *store.Tx) error {
			tally = Report{}
			var initial []*Decision
			for i := range chunk {
				if err := r.applyOne(tx, &chunk[i], &tally, &initial); err != nil {
					return err
				}
			}
			return r.recordInitial(tx, initial)
		})
		if err != nil {
			return fmt.Errorf("checklist %s: committing decisions: %w", r.o.Study, err)
		}
		rep.Queued += tally.Queued
		rep.Opened += tally.Opened
		rep.Refreshed += tally.Refreshed
		rep.Closed += tally.Closed
		rep.Moved += tally.Moved
		rep.Findings += tally.Findings
		rep.Skipped += tally.Skipped
		if tally.Queued > 0 && r.o.Queued != nil {
			r.o.Queued()
		}
	}
	return nil
}

// applyOne commits one decision within tx, with its audit entries: its writes queued with the pending
// baseline, its conflict opened or refreshed, its finding, or its baseline moved at once. The first
// alignment's baselines that need no write are collected in initial, for one entry per transaction.
func (r *Reconciler) applyOne(tx *store.Tx, o *op, tally *Report, initial *[]*Decision) error {
	t := store.Baselines[ItemState](tx)
	key := itemKey(r.o.Study, o.key)
	st, _, err := t.Get(key)
	if err != nil {
		return err
	}
	if o.d == nil {
		if st.Finding == nil {
			return nil
		}
		st.Finding = nil
		return putState(t, key, st)
	}
	d, now := o.d, r.o.Now().UTC()
	oc, hasC, err := store.Conflicts[OpenConflict](tx).Get(conflictKey(r.o.Study, d.Key))
	if err != nil {
		return err
	}
	if st.Pending != nil || revision(st.Agreed) != o.sawRev || (hasC && oc.IsOpen()) != (o.sawConflict != "") ||
		(hasC && oc.ID != o.sawConflict) {
		tally.Skipped++ // a person settled its conflict, or another run moved it, since this plan was made
		return nil
	}
	switch d.Outcome {
	case OutcomeGap, OutcomeUnmapped:
		f := findingOf(d, now)
		if !st.Finding.same(f) {
			if st.Finding != nil {
				f.Since = st.Finding.Since
			}
			if _, err := tx.Append(store.Entry{Action: store.ActionChecklistFinding, Object: itemObject(r.o.Study, o.key),
				New: string(f.Outcome), Reason: findingText(f)}); err != nil {
				return err
			}
			st.Finding = f
			tally.Findings++
		}
	default:
		st.Finding = nil
	}
	switch d.Outcome {
	case OutcomeConflict:
		if err := r.putConflict(tx, d, &oc, hasC, now, tally); err != nil {
			return err
		}
	case OutcomeWriteEDC, OutcomeWriteCTMS, OutcomeWriteBoth:
		p, err := queueDecision(tx, r.o.Engine, r.o.Study, d, now, "")
		if err != nil {
			return err
		}
		st.Pending = p
		tally.Queued += len(d.Writes)
	case OutcomeInSync:
		switch {
		case d.Baseline != nil && d.Initial && st.Agreed == nil:
			*initial = append(*initial, d)
			st.Agreed = d.Baseline
			tally.Moved++
		case d.Baseline != nil:
			reason := "both systems now hold the same values"
			if _, err := tx.Append(store.Entry{Action: store.ActionChecklistBaseline, Object: itemObject(r.o.Study, d.Key),
				Old: baselineText(st.Agreed), New: baselineText(d.Baseline), Reason: reason}); err != nil {
				return err
			}
			st.Agreed = d.Baseline
			tally.Moved++
		case d.DropBaseline && st.Agreed != nil:
			if _, err := tx.Append(store.Entry{Action: store.ActionChecklistBaseline, Object: itemObject(r.o.Study, d.Key),
				Old: baselineText(st.Agreed), Reason: "the item was deleted in both systems"}); err != nil {
				return err
			}
			st.Agreed = nil
			tally.Moved++
		}
	}
	if d.ClosesConflict && hasC && oc.IsOpen() {
		if err := closeConflict(tx, &oc, now, store.ActorAgent, "both systems came to agree on every field", nil); err != nil {
			return err
		}
		tally.Closed++
	}
	return putState(t, key, st)
}

// putState stores an item's state, or deletes the record when nothing is left in it.
func putState(t store.Table[ItemState], key store.Key, st ItemState) error {
	if st.empty() {
		return t.Delete(key)
	}
	return t.Put(key, st)
}

// recordInitial writes one audit entry for the baselines a first reconciliation stored where both
// systems already agreed: their number, and a hash of every one of them.
func (r *Reconciler) recordInitial(tx *store.Tx, initial []*Decision) error {
	if len(initial) == 0 {
		return nil
	}
	h := sha256.New()
	for _, d := range initial {
		fmt.Fprintf(h, "%s\x00%s\x00%s\n", d.Key.Site, d.Key.Code, baselineText(d.Baseline))
	}
	_, err := tx.Append(store.Entry{Action: store.ActionChecklistBaseline, Object: "checklist/" + r.o.Study,
		New: fmt.Sprintf("%d baselines, %s/%s to %s/%s", len(initial), initial[0].Key.Site, initial[0].Key.Code,
			initial[len(initial)-1].Key.Site, initial[len(initial)-1].Key.Code),
		Reason:      "first reconciliation: both systems already held the same values",
		PayloadHash: hex.EncodeToString(h.Sum(nil))})
	return err
}

// putConflict opens decision d's conflict, or refreshes the open one (oc, when hasC) with the sides as
// they are now, keeping its ID and age.
func (r *Reconciler) putConflict(tx *store.Tx, d *Decision, oc *OpenConflict, hasC bool, now time.Time, tally *Report) error {
	ct := store.Conflicts[OpenConflict](tx)
	c := *d.Conflict
	reason := conflictReason(&c)
	if hasC {
		c.ID = oc.ID
		if sameConflict(&oc.Conflict, &c) {
			return nil
		}
		oc.Conflict, oc.Updated = c, now
		reason = "the conflict's values changed: " + reason
		tally.Refreshed++
	} else {
		seq, err := ct.NextSequence()
		if err != nil {
			return err
		}
		c.ID = strconv.FormatUint(seq, 10)
		*oc = OpenConflict{Study: r.o.Study, Conflict: c, Opened: now, Updated: now}
		tally.Opened++
	}
	if err := ct.Put(conflictKey(r.o.Study, c.Key), *oc); err != nil {
		return err
	}
	_, err := tx.Append(store.Entry{Action: store.ActionChecklistConflict, Object: conflictObject(c.ID),
		CorrelationID: itemObject(r.o.Study, c.Key), New: conflictText(&c), Reason: reason})
	return err
}

// closeConflict ends an open conflict: it leaves the item's open slot for the study's history, with
// how it was settled, and records who settled it and why.
func closeConflict(tx *store.Tx, oc *OpenConflict, now time.Time, by, reason string, take map[Field]System) error {
	ct := store.Conflicts[OpenConflict](tx)
	oc.Closed = now
	oc.Resolution = &Resolution{By: by, Reason: reason, Take: take}
	if err := ct.Delete(conflictKey(oc.Study, oc.Key)); err != nil {
		return err
	}
	if err := ct.Put(store.NewKey(oc.Study, oc.Key.Site, oc.Key.Code, oc.ID), *oc); err != nil {
		return err
	}
	e := store.Entry{Action: store.ActionChecklistResolve, Object: conflictObject(oc.ID), CorrelationID: itemObject(oc.Study, oc.Key),
		Old: conflictText(&oc.Conflict), New: takeText(oc, take), Reason: reason}
	if by == store.ActorAgent {
		e.Actor = by
	}
	_, err := tx.Append(e)
	return err
}

// queueDecision puts every write of d in the outbox within tx, each with its audit entry, and returns
// the pending decision to store with the item: its baseline waits for the writes.
func queueDecision(tx *store.Tx, e *Engine, study string, d *Decision, now time.Time, conflictID string) (*Pending, error) {
	p := &Pending{Outcome: d.Outcome, Baseline: d.Baseline, DropBaseline: d.DropBaseline, Planned: now, Conflict: conflictID}
	for i := range d.Writes {
		w := &d.Writes[i]
		msg := writeMessage{Study: study, System: w.System, Key: d.Key, Path: w.Path, Body: string(w.Body), Creates: w.Creates, Changes: w.Changes}
		if rec := d.record(w.System); rec != nil && !w.Creates {
			msg.Listed = string(rec.Raw)
		}
		q, err := outbox.Enqueue(tx, outbox.Draft{Kind: outbox.KindChecklist, Key: d.Key.String(), Payload: msg,
			IdempotencyKey: w.IdempotencyKey, Reason: "checklist " + string(d.Outcome) + " to the " + w.System.Label()})
		if err != nil {
			return nil, err
		}
		pw := PendingWrite{System: w.System, Message: q.ID, State: WriteQueued}
		for _, c := range w.Changes {
			pw.Fields = append(pw.Fields, c.Field)
		}
		p.Writes = append(p.Writes, pw)
		if _, err := tx.Append(store.Entry{Action: store.ActionChecklistWrite, Object: writeObject(study, d.Key, w.System),
			CorrelationID: outbox.Object(q.ID), Old: changesText(w.Changes, true), New: changesText(w.Changes, false),
			Reason: causesText(w, e), PayloadHash: outbox.HashOf(w.Body)}); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// record is the decision's record of system s (nil when it has none).
func (d *Decision) record(s System) *Record {
	if s == CTMS {
		return d.CTMS
	}
	return d.EDC
}

// writeMessage is the outbox payload of one write: everything the Sender needs to check the target and
// send the PUT, and to settle the write. Body and Listed are strings so that JSON carries their bytes
// exactly (a RawMessage would be compacted).
type writeMessage struct {
	Study  string `json:"study"`
	System System `json:"system"`
	Key    Key    `json:"key"`
	Path   string `json:"path"`
	Body   string `json:"body"`
	// Listed is the target's record as the plan saw it; "" when the write creates the item.
	Listed  string   `json:"listed,omitempty"`
	Creates bool     `json:"creates,omitempty"`
	Changes []Change `json:"changes"`
}

// storeKey is the key item d is stored under: its own, or for a record without a readable site or code,
// one made from what it has and a hash of its raw bytes, so that it is found again at the next run.
func storeKey(d *Decision) Key {
	if d.Key.Site != "" && d.Key.Code != "" {
		return d.Key
	}
	var raw []byte
	if len(d.Defects) > 0 {
		raw = d.Defects[0].Raw
	}
	sum := sha256.Sum256(raw)
	return Key{Site: d.Key.Site, Code: d.Key.Code + "#" + hex.EncodeToString(sum[:4])}
}

func revision(b *Baseline) int64 {
	if b == nil {
		return -1
	}
	return int64(b.Revision)
}

// findingOf is the finding of a gap or unmapped decision.
func findingOf(d *Decision, now time.Time) *Finding {
	f := &Finding{Outcome: d.Outcome, Missing: d.Missing, Defects: d.Defects, Since: now,
		Keyless: d.Key.Site == "" || d.Key.Code == ""}
	if d.Outcome == OutcomeGap {
		if rec := d.record(otherSystem(d.Missing)); rec != nil {
			f.Raw = rec.Raw
		}
	}
	return f
}

func findingText(f *Finding) string {
	if f.Outcome == OutcomeGap {
		return "the item is missing in the " + f.Missing.Label()
	}
	text := ""
	for i, d := range f.Defects {
		if i > 0 {
			text += "; "
		}
		text += d.System.Label() + " record: " + d.Reason
	}
	return text
}

func otherSystem(s System) System {
	if s == EDC {
		return CTMS
	}
	return EDC
}

// sameConflict reports whether two copies of a conflict hold the same (IDs aside).
func sameConflict(a, b *Conflict) bool {
	x, y := *a, *b
	x.ID, y.ID = "", ""
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}
