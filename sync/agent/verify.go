package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/config"
)

// EngineAuditVerify is the scheduled verification's engine name.
const EngineAuditVerify = "audit-verify"

// auditVerifyEngine registers the audit trail's scheduled verification: one background service that
// walks the whole chain at start and then every [audit] verify_every (24 h by default). It is
// Background: it runs beside the engines a configuration selects, never on its own.
func auditVerifyEngine() Engine {
	return Engine{
		Name:       EngineAuditVerify,
		Title:      "Scheduled audit verification",
		Section:    "[audit]",
		Background: true,
		Configured: func(*config.Config) bool { return true },
		Services: func(a *Agent, cfg *config.Config, _ Scope) ([]ServiceSpec, error) {
			every := cfg.VerifyEvery()
			a.auditMu.Lock()
			a.audit.Every = every
			a.auditMu.Unlock()
			return []ServiceSpec{{
				Name: "Audit verification", Engine: EngineAuditVerify, Every: every,
				RetryAfter: min(time.Minute, every),
				Run: func(ctx context.Context) (Summary, error) {
					rep, err := a.verify(ctx, nil, "")
					if err != nil {
						return Summary{}, err
					}
					if !rep.OK() {
						return Summary{Text: "the audit trail is broken: " + rep.Problem.Error(),
							Figures: []Figure{{"entries", int(rep.Entries)}, {"problems", 1}}}, nil
					}
					return Summary{Text: fmt.Sprintf("the audit trail is intact: %d entries", rep.Entries),
						Figures: []Figure{{"entries", int(rep.Entries)}}}, nil
				},
			}}, nil
		},
	}
}

// verify walks the whole ledger and records what it found: for the snapshot (the GUI's banner on every
// screen), in the log (at error level for a problem), and, when this run holds the store for writing,
// in the audit trail with the store's record of the last verification, in one transaction. by is the
// person who asked, "" for the schedule. A verification that finds a problem is not an error: the
// Report says what it found; an error means it could not run.
func (a *Agent) verify(ctx context.Context, progress func(done, total uint64), by string) (store.Report, error) {
	open := a.ReadStore
	if by == "" {
		// The schedule runs beside the services, which open the store for writing: opening it
		// read-only here would have it closed under the walk when they do. It records its finding
		// anyway, so it opens the store for writing as they do.
		open = a.Store
	}
	db, err := open(ctx)
	var missing *store.Problem
	if errors.As(err, &missing) {
		a.log.Error().Str("problem", missing.Error()).Msg("audit verified")
		a.verified(store.Verification{Time: time.Now().UTC(), By: by, Problem: missing.Error()})
		return store.Report{Problem: missing}, nil
	}
	if err != nil {
		return store.Report{}, err
	}
	rep, err := db.Verify(ctx, progress)
	if err != nil {
		return rep, err
	}
	v := store.Verification{Time: time.Now().UTC(), By: by, Entries: rep.Entries}
	ev := a.log.Info()
	if !rep.OK() {
		v.Problem = rep.Problem.Error()
		ev = a.log.Error().Str("problem", v.Problem)
	}
	who := by
	if who == "" {
		who = "schedule"
	}
	ev.Uint64("entries", rep.Entries).Str("tip", rep.TipHex()).Str("by", who).Msg("audit verified")
	a.verified(v)
	if !db.ReadOnly() {
		if err := a.recordVerification(ctx, db, v, rep); err != nil {
			a.log.Error().Err(err).Msg("the verification could not be recorded in the audit trail")
		}
	}
	return rep, nil
}

// recordVerification appends the verification's entry and keeps it as the store's last verification.
// A store that refuses writes (rolled back, replaced) cannot record it: the log and the snapshot still
// say what was found.
func (a *Agent) recordVerification(ctx context.Context, db *store.DB, v store.Verification, rep store.Report) error {
	e := store.Entry{Object: "audit", New: fmt.Sprintf("%d entries, tip %s", rep.Entries, rep.TipHex())}
	switch {
	case v.Problem != "":
		e.Action, e.Reason = store.ActionAuditVerifyFailed, v.Problem
	case v.By == "":
		e.Action, e.Reason = store.ActionAuditVerifyScheduled, "scheduled verification"
	default:
		e.Action, e.Reason = store.ActionAuditVerified, "verified by "+v.By
	}
	err := db.UpdateAs(ctx, v.By, func(tx *store.Tx) error {
		if _, err := tx.Append(e); err != nil {
			return err
		}
		return tx.PutVerification(v)
	})
	if err == nil {
		a.refreshAudit(ctx)
	}
	return err
}

// isBackground reports whether the named engine is a Background one.
func (a *Agent) isBackground(engine string) bool {
	for _, e := range a.engines {
		if e.Name == engine {
			return e.Background
		}
	}
	return false
}

// background puts a Background engine's service state where the snapshot shows it: the scheduled
// verification's in the audit trail's state.
func (a *Agent) background(snap *Snapshot, st ServiceState) {
	if st.Engine == EngineAuditVerify {
		snap.Audit.NextVerify, snap.Audit.Verifying, snap.Audit.ScheduleErr = st.NextRun, st.Running, st.Err
	}
}
