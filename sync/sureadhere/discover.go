package sureadhere

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/outbox"
)

// discoverBatch is how many subjects one discovery transaction decides: each subject's record, its
// outbox message and their audit entries commit together, and a first run over a large study does not
// hold the store's writer for long.
const discoverBatch = 256

// Discovery is what one Discover did.
type Discovery struct {
	Randomized int // subjects read with an arm (or with a record from an earlier arm)
	Queued     int // subjects queued for SureAdhere, or whose queued send changed before it left
	Unmapped   int // subjects found with an arm that has no regimen (newly so)
	Flagged    int // arm changes after a push, newly flagged for a person
	Settled    int // flagged arm changes that Rave undid (the arm is back to the pushed one)
}

// observed is one subject's arm as the clinical store holds it.
type observed struct {
	site, subject, arm string
}

// Discover reads every configured study's arm item from the clinical store (what the Rave pull
// stored) and brings the subjects bucket up to date, one subject at a time in the same transaction as
// its outbox message and audit entries:
//
//   - a randomized subject SureAdhere does not hold yet, whose arm maps to a regimen, is queued (an
//     edit before its send coalesces into the unsent message); an unmapped arm is recorded as a
//     problem and not sent;
//   - a subject already pushed is never sent again: an arm that differs from the pushed one is
//     flagged for a person (StateArmChanged);
//   - a subject whose state is already what Rave says is left alone, so that a second push of the
//     same state sends nothing.
//
// It does no I/O but the store's. Notify the outbox (and kick its delivery) when it queued some.
func (e *Engine) Discover(ctx context.Context) (Discovery, error) {
	var d Discovery
	for _, st := range e.opts.Studies {
		if st.ArmItem == "" {
			continue
		}
		obs, err := e.observe(ctx, st)
		if err != nil {
			return d, err
		}
		for len(obs) > 0 {
			n := min(len(obs), discoverBatch)
			var bd Discovery
			err := e.opts.DB.Update(ctx, func(tx *store.Tx) error {
				bd = Discovery{}
				for _, o := range obs[:n] {
					if err := e.apply(tx, st.OID, o, &bd); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return d, fmt.Errorf("subjects of %s: %w", st.OID, err)
			}
			d.add(bd)
			obs = obs[n:]
		}
	}
	return d, nil
}

func (d *Discovery) add(o Discovery) {
	d.Randomized += o.Randomized
	d.Queued += o.Queued
	d.Unmapped += o.Unmapped
	d.Flagged += o.Flagged
	d.Settled += o.Settled
}

// observe reads a study's arm item, one value per subject: where a subject holds the item more than
// once (another form or event), the last non-empty value in key order.
func (e *Engine) observe(ctx context.Context, st Study) ([]observed, error) {
	var out []observed
	at := map[string]int{}
	err := e.opts.DB.View(ctx, func(tx *store.Tx) error {
		return tx.WalkClinicalItem(st.OID, st.ArmItem, func(k store.ClinicalKey, v store.ClinicalValue) error {
			arm := v.Value
			if v.IsNull {
				arm = ""
			}
			if i, ok := at[k.Subject]; ok {
				if arm != "" {
					out[i] = observed{k.Site, k.Subject, arm}
				}
				return nil
			}
			at[k.Subject] = len(out)
			out = append(out, observed{k.Site, k.Subject, arm})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s of %s: %w", st.ArmItem, st.OID, err)
	}
	return out, nil
}

// apply brings one subject's record in line with what Rave says, within tx.
func (e *Engine) apply(tx *store.Tx, study string, o observed, d *Discovery) error {
	t := store.Subjects[Subject](tx)
	key := store.SubjectKey(study, o.subject)
	rec, ok, err := t.Get(key)
	if err != nil {
		return err
	}
	if !ok && o.arm == "" {
		return nil // not randomized (yet)
	}
	d.Randomized++
	now := e.now()
	if !ok {
		rec = Subject{Study: study, ID: o.subject, Seen: now}
	}
	before := rec
	regimen, mapped := e.opts.Regimens[o.arm]
	mapped = mapped && o.arm != ""
	rec.Arm, rec.Site, rec.Regimen = o.arm, o.site, ""
	if mapped {
		rec.Regimen = regimen
	}

	var entry *store.Entry
	switch {
	case rec.Pushed != nil:
		entry = e.afterPush(&rec, d)
	case !mapped:
		rec.State, rec.Want, rec.Problem = StateUnmapped, nil, unmappedProblem(o.arm)
		if before.State != StateUnmapped || before.Problem != rec.Problem || !ok {
			d.Unmapped++
			entry = &store.Entry{Action: store.ActionSubjectPush, Old: stateWords(before, ok), New: string(StateUnmapped),
				Reason: rec.Problem + "; not sent"}
		}
	default:
		want := Push{Study: study, Subject: o.subject, Arm: o.arm, Patient: Patient{MRN: o.subject, Regimen: regimen, SiteCode: o.site}}
		if rec.State == StateQueued && rec.Want != nil && *rec.Want == want {
			break // queued as it is: a second push of the same state sends nothing
		}
		why := "randomized in Rave"
		switch {
		case before.Want != nil:
			why = "changed in Rave before it was sent (was " + pushWords(*before.Want) + ")"
		case ok && before.State == StateUnmapped:
			why = "its arm now has a SureAdhere regimen"
		}
		q, err := outbox.Enqueue(tx, outbox.Draft{Kind: outbox.KindSubject, Key: rec.Key(), Payload: want, Prev: rec.Message,
			Reason: why})
		if err != nil {
			return err
		}
		rec.State, rec.Want, rec.Message, rec.Problem = StateQueued, &want, q.ID, ""
		d.Queued++
		entry = &store.Entry{Action: store.ActionSubjectPush, Old: stateWords(before, ok),
			New: "queued for SureAdhere: " + pushWords(want) + fmt.Sprintf(" (outbox/%d)", q.ID), Reason: why}
	}
	if ok && same(before, rec) {
		return nil
	}
	rec.Updated = now
	if err := t.Put(key, rec); err != nil {
		return err
	}
	if entry != nil {
		entry.Object = rec.Object()
		if _, err := tx.Append(*entry); err != nil {
			return err
		}
	}
	return nil
}

// afterPush handles a subject SureAdhere already holds: nothing is sent again; an arm other than the
// settled one is flagged for a person, and an arm back to the pushed one settles a flagged change.
func (e *Engine) afterPush(rec *Subject, d *Discovery) *store.Entry {
	p := rec.Pushed
	switch {
	case rec.Arm == p.Arm:
		if rec.Change == nil {
			rec.State = StatePushed
			return nil
		}
		old := changeWords(rec.Change)
		rec.Change, rec.State = nil, StatePushed
		d.Settled++
		return &store.Entry{Action: store.ActionSubjectArmChange, Old: old, New: "arm " + quoteArm(p.Arm) + " again",
			Reason: "Rave's arm is again the one SureAdhere's regimen came from; nothing to decide"}
	case rec.Change != nil && rec.Change.To == rec.Arm:
		rec.Change.ToRegimen = rec.Regimen // the configuration may have mapped it since
		if rec.Change.Acknowledged == nil {
			rec.State = StateArmChanged
		}
		return nil
	}
	old := "arm " + quoteArm(p.Arm) + " (SureAdhere: " + p.Patient.Regimen + ")"
	if rec.Change != nil {
		old = changeWords(rec.Change)
	}
	rec.Change = &ArmChange{From: p.Arm, To: rec.Arm, FromRegimen: p.Patient.Regimen, ToRegimen: rec.Regimen, Flagged: e.now()}
	rec.State = StateArmChanged
	d.Flagged++
	return &store.Entry{Action: store.ActionSubjectArmChange, Old: old, New: changeWords(rec.Change),
		Reason: "Rave's arm changed after the subject was sent to SureAdhere, whose ingest cannot change a regimen: " +
			"nothing is sent; a person must update SureAdhere and acknowledge the change"}
}

// same reports whether two records say the same, whatever their Updated time.
func same(a, b Subject) bool {
	a.Updated = b.Updated
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// unmappedProblem says why a subject with arm is not sent.
func unmappedProblem(arm string) string {
	if arm == "" {
		return "the arm is empty in Rave"
	}
	return fmt.Sprintf("arm %q has no SureAdhere regimen in [sureadhere] regimens", arm)
}

// stateWords is a record's state for an audit entry's Old.
func stateWords(s Subject, ok bool) string {
	switch {
	case !ok:
		return ""
	case s.State == StateQueued && s.Want != nil:
		return "queued: " + pushWords(*s.Want)
	}
	return string(s.State)
}

// pushWords says what a push sends: `regimen "Group 1" at site 101 (arm "Arm A")`.
func pushWords(p Push) string {
	return fmt.Sprintf("regimen %q at site %s (arm %s)", p.Patient.Regimen, p.Patient.SiteCode, quoteArm(p.Arm))
}

// changeWords says what an arm change is: `arm "Arm A" -> "Arm B" (SureAdhere keeps "Group 1")`.
func changeWords(c *ArmChange) string {
	s := fmt.Sprintf("arm %s -> %s (SureAdhere keeps %q)", quoteArm(c.From), quoteArm(c.To), c.FromRegimen)
	if c.Acknowledged != nil {
		s += ", acknowledged by " + c.Acknowledged.By
	}
	return s
}

func quoteArm(arm string) string {
	if arm == "" {
		return "(none)"
	}
	return fmt.Sprintf("%q", arm)
}
