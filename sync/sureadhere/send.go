package sureadhere

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/outbox"
	"github.com/trialsync/trialsync/sync/remote"
)

// Send is the outbox's Sender for subject messages (outbox.KindSubject): one ingest per call. Before sending it reads the
// subject's record, so that a message overtaken by events sends nothing: the subject is already in
// SureAdhere (an arm change behind it is flagged, never sent), its arm lost its regimen, or a later
// change is queued behind it.
func (e *Engine) Send(ctx context.Context, m outbox.Message) (outbox.Outcome, error) {
	var push Push
	if err := m.Decode(&push); err != nil {
		return outbox.Outcome{}, &outbox.Failure{Permanent: true, Message: err.Error(),
			Advice: "The queued message cannot be read; discard it: the next push queues the subject again.", Err: err}
	}
	var rec Subject
	var ok bool
	err := e.opts.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		rec, ok, err = store.Subjects[Subject](tx).Get(store.SubjectKey(push.Study, push.Subject))
		return err
	})
	if err != nil {
		return outbox.Outcome{}, err
	}
	switch {
	case !ok:
		return skipped("the subject is no longer in the subjects list", nil), nil
	case rec.Pushed != nil:
		return skipped("SureAdhere already holds the subject ("+pushWords(rec.Pushed.Push)+")", func(tx *store.Tx) error {
			return e.overtaken(tx, push)
		}), nil
	case rec.Want == nil:
		return skipped("not sent: "+rec.Problem, nil), nil
	case *rec.Want != push:
		return skipped(fmt.Sprintf("not sent: overtaken by a later change in Rave (outbox/%d sends %s)", rec.Message, pushWords(*rec.Want)), nil), nil
	}

	c, err := e.opts.Client(ctx)
	if err != nil {
		return outbox.Outcome{}, err
	}
	hash := outbox.HashOf(push.Patient.Body())
	ack, err := c.Ingest(ctx, push.Patient)
	if err != nil {
		return outbox.Outcome{}, failure(err, hash, push)
	}
	out := outbox.Outcome{RequestHash: hash, Status: ack.Status, Summary: "already registered (409)"}
	if ack.Created() {
		out.Summary = "created"
		if ack.ID != 0 {
			out.Reference = "patient " + strconv.FormatInt(ack.ID, 10)
		}
	}
	out.Commit = func(tx *store.Tx) error { return e.pushed(tx, m, push, ack) }
	return out, nil
}

// skipped is a message done without a request: note says why, commit (may be nil) records it.
func skipped(note string, commit func(tx *store.Tx) error) outbox.Outcome {
	return outbox.Outcome{Skipped: true, Note: note, Commit: commit}
}

// pushed records SureAdhere's acknowledgement in the subject's record, in the transaction that marks
// the message done: the subject is pushed, or arm_changed when Rave's arm moved while it was in
// flight.
func (e *Engine) pushed(tx *store.Tx, m outbox.Message, push Push, ack Ack) error {
	t := store.Subjects[Subject](tx)
	key := store.SubjectKey(push.Study, push.Subject)
	rec, ok, err := t.Get(key)
	if err != nil {
		return err
	}
	if !ok {
		rec = Subject{Study: push.Study, ID: push.Subject, Site: push.Patient.SiteCode, Arm: push.Arm,
			Regimen: push.Patient.Regimen, Seen: e.now()}
	}
	now := e.now()
	rec.Pushed = &Pushed{Push: push, Status: ack.Status, PatientID: ack.ID, At: now, Message: m.ID}
	rec.State, rec.Problem, rec.Updated = StatePushed, "", now
	how := "created in SureAdhere (201)"
	if !ack.Created() {
		how = "already in SureAdhere (409): taken as delivered"
	}
	if _, err := tx.Append(store.Entry{Action: store.ActionSubjectPush, Object: rec.Object(), CorrelationID: m.Claim,
		Old: "queued: " + pushWords(push), New: "pushed: " + pushWords(push), Reason: how,
		PayloadHash: outbox.HashOf(push.Patient.Body())}); err != nil {
		return err
	}
	var d Discovery
	if entry := e.afterPush(&rec, &d); entry != nil { // Rave moved while the send was in flight
		entry.Object = rec.Object()
		if _, err := tx.Append(*entry); err != nil {
			return err
		}
	}
	return t.Put(key, rec)
}

// overtaken records, for a message found behind a push SureAdhere already acknowledged, that its arm
// differs (flagged, never sent); discovery does the same from Rave's side.
func (e *Engine) overtaken(tx *store.Tx, push Push) error {
	t := store.Subjects[Subject](tx)
	key := store.SubjectKey(push.Study, push.Subject)
	rec, ok, err := t.Get(key)
	if err != nil || !ok || rec.Pushed == nil {
		return err
	}
	before := rec
	var d Discovery
	entry := e.afterPush(&rec, &d)
	if same(before, rec) {
		return nil
	}
	rec.Updated = e.now()
	if entry != nil {
		entry.Object = rec.Object()
		if _, err := tx.Append(*entry); err != nil {
			return err
		}
	}
	return t.Put(key, rec)
}

// failure reads a failed ingest for the outbox: a refused token and an unreachable SureAdhere go back
// as they are (fatal; held), a paused breaker gives the attempt back, a refused body is dead at once
// with its reason and what to do, and everything about timing is retried.
func failure(err error, hash string, push Push) error {
	var te *TokenError
	if errors.As(err, &te) || remote.IsOffline(err) {
		return err
	}
	var e *remote.Error
	if !errors.As(err, &e) {
		return err // the outbox retries it if the remote package calls it retryable
	}
	f := &outbox.Failure{Status: e.Status, ReasonCode: e.Code, RetryAfter: e.RetryAfter, RequestHash: hash, Err: err}
	switch {
	case errors.Is(err, remote.ErrCircuitOpen):
		f.NotSent, f.Message = true, "not sent: "+e.Message
	case e.Retryable:
		f.Message = "SureAdhere did not take it yet: " + e.Reason()
	default:
		f.Permanent = true
		f.Message = "SureAdhere refused it: " + e.Reason()
		f.Advice = advice(e, push)
	}
	return f
}

// advice says what a coordinator should do about a subject SureAdhere refused.
func advice(e *remote.Error, push Push) string {
	p := push.Patient
	for _, fp := range FieldProblems(e) {
		switch fp.Field {
		case "regimen":
			return fmt.Sprintf("SureAdhere has no regimen %q: correct the mapping of arm %s in [sureadhere] regimens (or ask SureAdhere to add the regimen), then Retry.",
				p.Regimen, quoteArm(push.Arm))
		case "site_code":
			return fmt.Sprintf("Site %s does not exist in the SureAdhere workspace: ask SureAdhere support to add it, then Retry.", p.SiteCode)
		case "mrn":
			return fmt.Sprintf("SureAdhere does not accept %q as an MRN (it expects the site code, a dash and three digits): check the subject's ID in Rave, then Retry or Discard.", p.MRN)
		}
	}
	switch e.Status {
	case http.StatusUnsupportedMediaType, http.StatusRequestEntityTooLarge, http.StatusNotFound, http.StatusMethodNotAllowed:
		return "SureAdhere's ingest did not accept the request as trialsync sends it: check [sureadhere] url and contact SureAdhere support."
	}
	return "SureAdhere refused the subject: correct it in Rave or the configuration, then Retry; or Discard it with a reason."
}
