package agent

import (
	"context"
	"fmt"
	"strconv"

	"github.com/trialsync/trialsync/store"
)

// WalkClinical calls fn for every stored item value in natural-key order (the export order).
func (a *Agent) WalkClinical(ctx context.Context, fn func(store.ClinicalKey, store.ClinicalValue) error) error {
	db, err := a.ReadStore(ctx)
	if err != nil {
		return err
	}
	return db.WalkClinical(ctx, fn)
}

// Quarantine lists quarantined fragments (resolved ones too when asked).
func (a *Agent) Quarantine(ctx context.Context, includeResolved bool) ([]store.Quarantined, error) {
	db, err := a.ReadStore(ctx)
	if err != nil {
		return nil, err
	}
	return db.QuarantineList(ctx, includeResolved)
}

// ResolveQuarantine marks a fragment reviewed by the person at the keyboard, with their reason, in
// the same transaction as its audit entry.
func (a *Agent) ResolveQuarantine(ctx context.Context, id uint64, reason string) error {
	if reason == "" {
		return fmt.Errorf("quarantine %d: a reason is required", id)
	}
	db, err := a.Store(ctx)
	if err != nil {
		return err
	}
	return db.UpdateAs(ctx, a.actor, func(tx *store.Tx) error {
		q, err := tx.ResolveQuarantine(id, tx.Actor(), reason)
		if err != nil {
			return err
		}
		_, err = tx.Append(store.Entry{Action: store.ActionQuarantineResolve, Object: "quarantine/" + strconv.FormatUint(id, 10),
			Old: q.Reason, New: "resolved", Reason: reason})
		return err
	})
}
