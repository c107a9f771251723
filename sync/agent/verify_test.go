package agent

import (
	"strings"
	"testing"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/store/storetest"
	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

// idleEngine is a foreground engine whose one service does nothing, hourly: something for Start to
// run beside the scheduled verification.
func idleEngine() Engine {
	return testEngine(ServiceSpec{Name: "idle", Engine: "test", Every: time.Hour, Run: (&stepper{answers: []error{nil}}).run})[0]
}

// TestScheduledVerification: the schedule verifies at start and records it (audit entry, the store's
// last verification, the snapshot); an entry changed in the file while the store is open is found by
// the next scheduled run, which turns the snapshot's verdict red, records the failure and keeps the
// schedule going; the snapshot never lists the background service among the engines' services.
func TestScheduledVerification(t *testing.T) {
	a := openAgent(t, noRave+"\n[audit]\nverify_every = \"1h\"\n", []Engine{idleEngine(), auditVerifyEngine()})
	ctx := t.Context()
	if _, err := a.Record(ctx, store.Entry{Action: "test.mark", Object: "tamper-me-here", Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	startAgent(t, a)
	snap := waitState(t, a, "a scheduled verification", func(s Snapshot) bool {
		return !s.Audit.Verified.IsZero() && !s.Audit.NextVerify.IsZero()
	})
	if snap.Audit.Problem != "" || !snap.Audit.Scheduled || snap.Audit.VerifiedBy != "" || snap.Audit.Every != time.Hour ||
		snap.Audit.NextVerify.Before(time.Now().Add(50*time.Minute)) {
		t.Fatalf("after the first scheduled verification: %+v", snap.Audit)
	}
	if len(snap.Services) != 1 || len(snap.Engines) != 1 || snap.Services[0].Engine != "test" {
		t.Errorf("the snapshot lists the background service: %+v %+v", snap.Services, snap.Engines)
	}
	last := lastEntry(t, a)
	if last.Action != store.ActionAuditVerifyScheduled || last.Actor != store.ActorAgent {
		t.Fatalf("last audit entry %+v, want a scheduled verification by the agent", last)
	}

	if n, err := storetest.FlipInPlace(a.opts.StorePath, []byte("tamper-me-here")); err != nil || n == 0 {
		t.Fatalf("tampering: %d copies, %v", n, err)
	}
	a.Kick(EngineAuditVerify)
	snap = waitState(t, a, "the schedule to find the change", func(s Snapshot) bool { return s.Audit.Problem != "" })
	if !strings.Contains(snap.Audit.Problem, "entry 2") || !snap.Audit.Scheduled {
		t.Errorf("problem %q (scheduled %v), want entry 2 named by the schedule", snap.Audit.Problem, snap.Audit.Scheduled)
	}
	snap = waitState(t, a, "the next scheduled run", func(s Snapshot) bool { return !s.Audit.NextVerify.IsZero() })
	if snap.Audit.ScheduleErr != "" {
		t.Errorf("the schedule reports %q: a broken chain is a finding, not a failure to verify", snap.Audit.ScheduleErr)
	}
	last = lastEntry(t, a)
	if last.Action != store.ActionAuditVerifyFailed || !strings.Contains(last.Reason, "entry 2") {
		t.Errorf("last audit entry %+v, want the failed verification", last)
	}
	db, err := a.Store(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx *store.Tx) error {
		v, ok, err := tx.LastVerification()
		if !ok || v.Problem == "" || !v.Scheduled() {
			t.Errorf("the store's last verification %+v (%v)", v, ok)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestManualVerificationRecorded: a person's verification is recorded with their name, and the next
// agent on the same store shows it as the last verification before verifying anything.
func TestManualVerificationRecorded(t *testing.T) {
	a := openAgent(t, "", nil)
	ctx := t.Context()
	if _, err := a.Status(ctx); err != nil { // opens (creates) the store for writing, as the GUI does
		t.Fatal(err)
	}
	rep, err := a.VerifyAudit(ctx, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %v %v", err, rep.Problem)
	}
	if e := lastEntry(t, a); e.Action != store.ActionAuditVerified || e.Actor != a.actor {
		t.Fatalf("last entry %+v, want the verification by %s", e, a.actor)
	}
	snap := a.Snapshot()
	if snap.Audit.VerifiedBy != a.actor || snap.Audit.Scheduled || snap.Audit.VerifiedEntries != rep.Entries {
		t.Errorf("snapshot audit %+v", snap.Audit)
	}
	path, service := a.opts.StorePath, a.opts.KeyringService
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, Options{StorePath: path, ConfigPath: a.opts.ConfigPath, LogDir: t.TempDir(), KeyringService: service})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Status(ctx); err != nil {
		t.Fatal(err)
	}
	if got := b.Snapshot().Audit; got.VerifiedBy != a.actor || got.Verified.IsZero() || got.Problem != "" {
		t.Errorf("the next run's snapshot shows %+v, want the verification by %s", got, a.actor)
	}
}

func lastEntry(t *testing.T, a *Agent) store.Entry {
	t.Helper()
	entries, err := a.AuditEntries(t.Context(), 0, 1<<20)
	if err != nil || len(entries) == 0 {
		t.Fatalf("audit entries: %v", err)
	}
	return entries[len(entries)-1]
}

// TestScheduledVerificationBesidePull: the schedule and the pull start together on a store neither
// has opened yet; the verification walks the store the pull writes to, and never fails for the other
// having opened it ("database not open").
func TestScheduledVerificationBesidePull(t *testing.T) {
	for range 3 {
		s := startRWS(t, simrws.Options{Seed: 6, SubjectsPerSite: 2})
		a := pullAgent(t, s, "")
		if err := a.creds.Set("rave.password", "sim-password"); err != nil { // without opening the store
			t.Fatal(err)
		}
		startAgent(t, a)
		snap := waitState(t, a, "the first pull and the first scheduled verification", func(s Snapshot) bool {
			return len(s.Services) == 1 && s.Services[0].Runs == 1 && !s.Audit.NextVerify.IsZero()
		})
		if snap.Audit.ScheduleErr != "" || snap.Audit.Problem != "" || snap.Audit.Verified.IsZero() {
			t.Fatalf("the schedule beside the pull: %+v", snap.Audit)
		}
		a.Stop()
	}
}
