package agent

import (
	"context"
	"slices"
	"time"

	"github.com/trialsync/trialsync/store"
)

// Snapshot is the agent's state at one moment, as the GUI and the CLI show it: every engine, service
// and remote, and the audit trail. It is a copy; reading it needs no lock.
type Snapshot struct {
	Taken      time.Time
	RunID      string
	ConfigPath string
	// Problem says why the services are not running: a configuration that cannot be loaded, or one
	// that selects nothing that can run. "" when they run, and when there is simply nothing set up yet
	// (no configuration file, no engine's section): then each EngineState says Configured false.
	Problem  string
	Running  bool           // the services are started and have not ended
	Engines  []EngineState  // every registered engine, in registry order
	Services []ServiceState // the running services, in start order
	Remotes  []RemoteState  // the remotes the services talk to
	Audit    AuditState
	// Figures are the dashboard's counts per study and site, and the week's activity, as last read
	// from the store.
	Figures Figures
	// Checklist is the checklist reconciliation: open conflicts, the oldest one's age, the last run.
	Checklist ChecklistState
}

// EngineState is one registered engine and whether the configuration has what it needs.
type EngineState struct {
	Name, Title, Section string
	Configured           bool
}

// AuditState is the audit trail as the agent last read it.
type AuditState struct {
	Entries uint64    // covered by the keyed checkpoint
	Tip     string    // hex
	Read    time.Time // when Entries and Tip were read; zero before the store is opened
	// Verified is when the chain was last verified, in this run or (as the store recorded it) before
	// (zero: never); Problem is the first problem that verification found, "" when the chain was intact.
	Verified time.Time
	Problem  string
	// VerifiedBy is the person who asked for the last verification, "" when the schedule ran it
	// (Scheduled); VerifiedEntries is how many entries it covered.
	VerifiedBy      string
	Scheduled       bool
	VerifiedEntries uint64
	// Every is the scheduled verification's interval ([audit] verify_every), zero when it does not run;
	// NextVerify is when it runs next (zero while it runs, Verifying); ScheduleErr says why the last
	// scheduled run could not verify at all ("" when it could).
	Every       time.Duration
	NextVerify  time.Time
	Verifying   bool
	ScheduleErr string
}

// setVerification takes v as the last verification.
func (s *AuditState) setVerification(v store.Verification) {
	s.Verified, s.Problem, s.VerifiedBy, s.Scheduled, s.VerifiedEntries = v.Time, v.Problem, v.By, v.Scheduled(), v.Entries
}

// Snapshot returns the agent's state now. It reads memory only (and the configuration file, once, on
// the agent's first need of it), so it is cheap to call after every change signal.
func (a *Agent) Snapshot() Snapshot {
	snap := Snapshot{Taken: time.Now(), RunID: a.runID, ConfigPath: a.opts.ConfigPath}
	a.runMu.Lock()
	r := a.run
	snap.Problem = a.problem
	a.runMu.Unlock()
	cfg, _ := a.Config()
	for _, e := range a.engines {
		if e.Background {
			continue // shown in its own part of the snapshot (the audit trail's schedule)
		}
		snap.Engines = append(snap.Engines, EngineState{Name: e.Name, Title: e.Title, Section: e.Section,
			Configured: cfg != nil && e.Configured(cfg)})
	}
	var used []string
	if r != nil {
		snap.Running = !r.ended()
		for _, s := range r.services {
			st := s.snapshot()
			if r.background[s] {
				a.background(&snap, st)
				continue
			}
			snap.Services = append(snap.Services, st)
			used = append(used, st.Remote)
		}
	}
	for _, rm := range a.remotes {
		if st := rm.snapshot(); slices.Contains(used, st.Name) || st.URL != "" {
			snap.Remotes = append(snap.Remotes, st)
		}
	}
	a.auditMu.Lock()
	next, verifying, schedErr := snap.Audit.NextVerify, snap.Audit.Verifying, snap.Audit.ScheduleErr
	snap.Audit = a.audit
	snap.Audit.NextVerify, snap.Audit.Verifying, snap.Audit.ScheduleErr = next, verifying, schedErr
	snap.Figures = a.figures
	snap.Figures.Studies = cloneStudies(a.figures.Studies)
	a.auditMu.Unlock()
	snap.Checklist = a.checklistSnapshot()
	return snap
}

// Engine returns the named engine's state.
func (s Snapshot) Engine(name string) (EngineState, bool) {
	for _, e := range s.Engines {
		if e.Name == name {
			return e, true
		}
	}
	return EngineState{}, false
}

// ServicesOf returns the services of the named engine, in start order.
func (s Snapshot) ServicesOf(engine string) []ServiceState {
	var out []ServiceState
	for _, st := range s.Services {
		if st.Engine == engine {
			out = append(out, st)
		}
	}
	return out
}

// Remote returns the named remote's state.
func (s Snapshot) Remote(name string) (RemoteState, bool) {
	for _, r := range s.Remotes {
		if r.Name == name {
			return r, true
		}
	}
	return RemoteState{}, false
}

// refreshAudit reads the checkpoint again when the store is open (it never opens it), and announces
// a change.
func (a *Agent) refreshAudit(ctx context.Context) {
	if db := a.openedStore(); db != nil {
		a.readAudit(ctx, db)
	}
}

// readAudit reads db's checkpoint, and the dashboard's figures, for the snapshot.
func (a *Agent) readAudit(ctx context.Context, db *store.DB) {
	a.readFigures(ctx, db)
	cp, err := db.Checkpoint(ctx)
	if err != nil {
		return // the store's own errors reach the services and commands that use it
	}
	a.auditMu.Lock()
	changed := a.audit.Entries != cp.Count || a.audit.Tip != cp.Tip
	a.audit.Entries, a.audit.Tip, a.audit.Read = cp.Count, cp.Tip, time.Now()
	a.auditMu.Unlock()
	if changed {
		a.changed.notify()
	}
}

// verified records a verification's finding for the snapshot.
func (a *Agent) verified(v store.Verification) {
	a.auditMu.Lock()
	a.audit.setVerification(v)
	a.auditMu.Unlock()
	a.changed.notify()
}

func cloneStudies(in []StudyFigures) []StudyFigures {
	out := slices.Clone(in)
	for i := range out {
		out[i].Sites = slices.Clone(out[i].Sites)
	}
	return out
}
