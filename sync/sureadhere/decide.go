package sureadhere

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trialsync/trialsync/store"
)

// Errors of Acknowledge.
var (
	ErrNoSubject   = errors.New("no such randomized subject")
	ErrNoArmChange = errors.New("no arm change waits for a decision")
	ErrNoReason    = errors.New("a reason is required")
)

// Acknowledge records a person's decision on a subject's arm change in the study: the change is known
// and taken care of outside trialsync. SureAdhere's ingest cannot change a patient's regimen (an
// ingest of an MRN it holds is a 409 that changes nothing), so acknowledging sends nothing: the person
// changes the regimen in SureAdhere by hand, and says so here. The subject's ArmChange keeps the
// decision (who, when, why) and its state is pushed again; a later change of arm is flagged anew.
// actor is the person's OS user; the reason is required. It is one transaction with its audit entry.
func Acknowledge(ctx context.Context, db *store.DB, actor, study, subject, reason string) (Subject, error) {
	reason = strings.TrimSpace(reason)
	name := keyOf(study, subject)
	if reason == "" {
		return Subject{}, fmt.Errorf("acknowledging the arm change of %s: %w", name, ErrNoReason)
	}
	var rec Subject
	err := db.UpdateAs(ctx, actor, func(tx *store.Tx) error {
		t := store.Subjects[Subject](tx)
		key := store.SubjectKey(study, subject)
		var ok bool
		var err error
		if rec, ok, err = t.Get(key); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("%s: %w", name, ErrNoSubject)
		}
		if rec.State != StateArmChanged || rec.Change == nil || rec.Change.Acknowledged != nil {
			return fmt.Errorf("%s is %s: %w", name, rec.State, ErrNoArmChange)
		}
		at := time.Now().UTC()
		old := changeWords(rec.Change)
		rec.Change.Acknowledged = &Decision{By: tx.Actor(), At: at, Reason: reason}
		rec.State, rec.Updated = StatePushed, at
		if err := t.Put(key, rec); err != nil {
			return err
		}
		_, err = tx.Append(store.Entry{Action: store.ActionSubjectArmAcknowledge, Object: rec.Object(), Old: old,
			New:    fmt.Sprintf("acknowledged: arm %s in Rave, SureAdhere was sent regimen %q; nothing sent", quoteArm(rec.Change.To), rec.Change.FromRegimen),
			Reason: reason})
		return err
	})
	return rec, err
}
