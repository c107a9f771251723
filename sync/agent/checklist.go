package agent

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/checklist"
	"github.com/trialsync/trialsync/sync/config"
	"github.com/trialsync/trialsync/sync/outbox"
	httpremote "github.com/trialsync/trialsync/sync/remote"
)

// EngineChecklist is the checklist reconciliation's engine name.
const EngineChecklist = "checklist"

// The checklist systems, as ServiceSpec.Remote and RemoteState.Name, and the keyring entries of their
// bearer tokens.
const (
	RemoteEDC      = "edc"
	RemoteCTMS     = "ctms"
	EDCCredential  = "edc.token"
	CTMSCredential = "ctms.token"
)

// The checklist types the screens and the CLI show, from sync/checklist.
type (
	ChecklistConflict = checklist.OpenConflict
	ChecklistOverview = checklist.Overview
	ChecklistField    = checklist.Field
	ChecklistSystem   = checklist.System
	ChecklistCounts   = checklist.Counts
)

// The two checklist systems, as a conflict's choice names them.
const (
	ChecklistEDC  = checklist.EDC
	ChecklistCTMS = checklist.CTMS
)

// ChecklistState is the checklist reconciliation as the snapshot shows it: open conflicts and how long
// the oldest has waited, and the last run's counts.
type ChecklistState struct {
	OpenConflicts int
	// OldestOpened is when the oldest open conflict was found; zero when none is open.
	OldestOpened time.Time
	// Last is the last run's counts per outcome (zero before a run); LastRun when it ended.
	Last    checklist.Counts
	LastRun time.Time
}

// checklistWork is what the agent keeps of reconciliation for the snapshot.
type checklistWork struct {
	mu    sync.Mutex
	state ChecklistState
}

// checklistEngine registers the reconciliation: one service for the configured study (or the one the
// scope names), which reconciles and delivers its writes, through the agent's EDC and CTMS clients.
func checklistEngine() Engine {
	return Engine{
		Name:    EngineChecklist,
		Title:   "Checklist reconciliation",
		Section: "[checklist]",
		Configured: func(cfg *config.Config) bool {
			return cfg.Checklist != nil
		},
		Figures: checklistFigures, // the dashboard's conflicts per site (checklistfigures.go)
		Services: func(a *Agent, cfg *config.Config, sc Scope) ([]ServiceSpec, error) {
			study := cfg.Checklist.StudyID
			if sc.Study != "" {
				study = sc.Study
			}
			return []ServiceSpec{{
				Name: "Checklist reconciliation " + study, Engine: EngineChecklist, Subject: study, Remote: RemoteEDC,
				Credentials: []string{EDCCredential, CTMSCredential}, Every: cfg.ReconcileEvery(),
				Run: func(ctx context.Context) (Summary, error) {
					res, err := a.Reconcile(ctx, study)
					return reconcileSummary(res), err
				},
				Queue: func(ctx context.Context) ([]Figure, error) { return a.checklistQueue(ctx) },
			}}, nil
		},
	}
}

// newChecklistClient builds the agent's one client of a checklist system from [checklist] and the
// keyring; the reconciliation and the delivery of its writes share it.
func (a *Agent) newChecklistClient(sys checklist.System) func(ctx context.Context) (*httpremote.Client, string, error) {
	return func(ctx context.Context) (*httpremote.Client, string, error) {
		cfg, err := a.Config()
		if err != nil {
			return nil, "", err
		}
		if cfg.Checklist == nil {
			return nil, "", Fatal(errNoChecklist(cfg))
		}
		url, cred := cfg.Checklist.EDCURL, EDCCredential
		if sys == checklist.CTMS {
			url, cred = cfg.Checklist.CTMSURL, CTMSCredential
		}
		token, err := a.Credential(cred)
		if err != nil {
			return nil, "", err
		}
		db, err := a.Store(ctx)
		if err != nil {
			return nil, "", err
		}
		rc := checklist.ClientConfig(sys, url, token)
		rc.Logger, rc.Fingerprint = a.log, db.Fingerprint
		c, err := httpremote.New(rc)
		if err != nil {
			return nil, "", Fatal(err) // a configuration that can never work
		}
		return c, url, nil
	}
}

func errNoChecklist(cfg *config.Config) error {
	return fmt.Errorf("%s: no [checklist] section: no checklists to reconcile", cfg.Path)
}

// ReconcileResult is one reconciliation and the delivery of its writes.
type ReconcileResult struct {
	Study string
	checklist.Report
	Delivery outbox.Report
}

// Reconcile reconciles study's checklists once ("" for the configured study_id) and delivers the
// checklist writes it queued (and any an earlier run left), retrying failures with backoff within the
// run, until every one is done, dead or held. When another delivery run is already sending them (the
// send service), it leaves them to it. An unreachable system is returned as the error (carrying
// Ready), so that the service waits for it; a missing or refused token is fatal.
func (a *Agent) Reconcile(ctx context.Context, study string) (ReconcileResult, error) {
	res := ReconcileResult{Study: study}
	cfg, err := a.Config()
	if err != nil {
		return res, err
	}
	if cfg.Checklist == nil {
		return res, Fatal(errNoChecklist(cfg))
	}
	if res.Study == "" {
		res.Study = cfg.Checklist.StudyID
	}
	eng, err := checklistEngineOf(cfg)
	if err != nil {
		return res, err
	}
	edc, err := a.checklistRemote(ctx, eng, cfg, checklist.EDC)
	if err != nil {
		return res, err
	}
	ctms, err := a.checklistRemote(ctx, eng, cfg, checklist.CTMS)
	if err != nil {
		return res, err
	}
	ob, err := a.Outbox(ctx)
	if err != nil {
		return res, err
	}
	rec, err := checklist.NewReconciler(checklist.Options{DB: ob.DB(), Engine: eng, EDC: edc, CTMS: ctms,
		Study: res.Study, Log: a.log, Queued: a.queued})
	if err != nil {
		return res, err
	}
	res.Report, err = rec.Run(ctx)
	a.observeChecklist(err)
	if err == nil {
		res.Delivery, err = ob.Deliver(ctx, outbox.DeliverOptions{Kinds: []string{outbox.KindChecklist}})
		if errors.Is(err, outbox.ErrBusy) {
			err = nil // the send service is delivering them
		}
		a.observeChecklist(err)
		if err == nil && len(res.Delivery.Offline) > 0 {
			err = res.Delivery.Offline[0].Err
		}
	}
	var last *checklist.Counts
	if res.Report.Counts.Items > 0 || err == nil {
		last = &res.Report.Counts // a run that could not read the systems has no counts to show
	}
	a.readChecklist(ctx, last)
	a.refreshAudit(ctx)
	return res, err
}

// checklistEngineOf is the reconciliation engine of cfg's [checklist] section.
func checklistEngineOf(cfg *config.Config) (*checklist.Engine, error) {
	eng, err := checklist.FromConfig(cfg.Checklist)
	if err != nil {
		return nil, Fatal(fmt.Errorf("%s: %w", cfg.Path, err))
	}
	return eng, nil
}

// checklistKind registers the checklist writes with the outbound queue: their sender reads each
// target just before its PUT, through the agent's one client of each system.
func checklistKind() outboxKind {
	return outboxKind{
		kind: outbox.KindChecklist, title: "checklist writes", remote: RemoteEDC,
		configured:  func(cfg *config.Config) bool { return cfg.Checklist != nil },
		credentials: func(*config.Config) []string { return []string{EDCCredential, CTMSCredential} },
		ready: func(ctx context.Context, a *Agent) error {
			if _, err := a.edc.get(ctx); err != nil {
				return err
			}
			_, err := a.ctms.get(ctx)
			return err
		},
		sender: func(a *Agent, cfg *config.Config, _ *store.DB) (outbox.Sender, outbox.Policy) {
			return checklist.NewSender(func(ctx context.Context, sys checklist.System) (*checklist.Remote, error) {
				eng, err := checklistEngineOf(cfg)
				if err != nil {
					return nil, err
				}
				return a.checklistRemote(ctx, eng, cfg, sys)
			}), outbox.Policy{MaxAttempts: checklistAttempts}
		},
	}
}

// checklistAttempts bounds the attempts of a checklist write. Each attempt reads the target before
// its PUT, and an answer lost after the PUT was applied is found there at the next attempt, so a few
// more attempts than the default cost nothing and spare a person dead messages on a flaky network.
const checklistAttempts = 5

// observeChecklist tells the snapshot how talking to the checklist systems went: an error names the
// remote that failed (sync/remote puts its name in it); success means both answered.
func (a *Agent) observeChecklist(err error) {
	var re *httpremote.Error
	var off *httpremote.OfflineError
	switch {
	case err == nil:
		a.observeRemote(RemoteEDC, nil)
		a.observeRemote(RemoteCTMS, nil)
	case errors.As(err, &re) && re.Remote != "":
		a.observeRemote(re.Remote, err)
	case errors.As(err, &off) && off.Remote != "":
		a.observeRemote(off.Remote, err)
	}
}

// checklistRemote is system sys's client with its adapter from eng.
func (a *Agent) checklistRemote(ctx context.Context, eng *checklist.Engine, cfg *config.Config, sys checklist.System) (*checklist.Remote, error) {
	r := a.edc
	if sys == checklist.CTMS {
		r = a.ctms
	}
	c, err := r.get(ctx)
	if err != nil {
		return nil, err
	}
	return checklist.NewRemote(c, eng.Adapter(sys), cfg.Checklist.PageSize), nil
}

// checklistQueue counts the checklist writes by state, for the service's queue figures.
func (a *Agent) checklistQueue(ctx context.Context) ([]Figure, error) {
	c, err := a.QueueCounts(ctx, outbox.KindChecklist)
	return c.Figures(), err
}

// readChecklist refreshes the snapshot's open conflicts from the store, and the last run's counts when
// given.
func (a *Agent) readChecklist(ctx context.Context, last *checklist.Counts) {
	if db := a.openedStore(); db != nil {
		a.readChecklistFrom(ctx, db, last)
	}
}

// readChecklistFrom is readChecklist on db (the store being opened).
func (a *Agent) readChecklistFrom(ctx context.Context, db *store.DB, last *checklist.Counts) {
	if cfg, err := a.Config(); err != nil || cfg.Checklist == nil {
		return // no checklists to show
	}
	open, oldest, err := checklist.ConflictSummary(ctx, db)
	if err != nil {
		a.log.Error().Err(err).Msg("reading the open checklist conflicts")
		return
	}
	a.checklist.mu.Lock()
	was := a.checklist.state
	a.checklist.state.OpenConflicts, a.checklist.state.OldestOpened = open, oldest
	if last != nil {
		a.checklist.state.Last, a.checklist.state.LastRun = *last, time.Now()
	}
	changed := a.checklist.state != was
	a.checklist.mu.Unlock()
	if changed {
		a.changed.notify()
	}
}

// checklistSnapshot is the reconciliation's state for the snapshot (memory only).
func (a *Agent) checklistSnapshot() ChecklistState {
	a.checklist.mu.Lock()
	defer a.checklist.mu.Unlock()
	return a.checklist.state
}

// ChecklistConflicts lists the conflicts waiting for a person, oldest first (all of them, settled ones
// too, when all). It reads the store only.
func (a *Agent) ChecklistConflicts(ctx context.Context, all bool) ([]ChecklistConflict, error) {
	db, err := a.ReadStore(ctx)
	if err != nil {
		return nil, err
	}
	return checklist.Conflicts(ctx, db, "", all)
}

// Checklists is the configured study's checklist items as the last reconciliations left them, grouped
// by outcome, only site's when site is not "". It reads the store only.
func (a *Agent) Checklists(ctx context.Context, site string) (ChecklistOverview, error) {
	cfg, err := a.Config()
	if err != nil {
		return ChecklistOverview{}, err
	}
	if cfg.Checklist == nil {
		return ChecklistOverview{}, errNoChecklist(cfg)
	}
	db, err := a.ReadStore(ctx)
	if err != nil {
		return ChecklistOverview{}, err
	}
	return checklist.Look(ctx, db, cfg.Checklist.StudyID, site)
}

// SettleConflict settles conflict id on behalf of the person at the keyboard: take names the system
// whose value wins for each conflicting field, reason (required) says why. The decision is audited
// under their OS user with the values the conflict held, and the writes it makes are queued (the send
// service, or the next reconciliation, delivers them).
func (a *Agent) SettleConflict(ctx context.Context, id string, take map[ChecklistField]ChecklistSystem, reason string) error {
	cfg, err := a.Config()
	if err != nil {
		return err
	}
	if cfg.Checklist == nil {
		return errNoChecklist(cfg)
	}
	eng, err := checklistEngineOf(cfg)
	if err != nil {
		return err
	}
	db, err := a.Store(ctx)
	if err != nil {
		return err
	}
	if _, err := checklist.Settle(ctx, db, eng, id, take, reason, a.actor); err != nil {
		return err
	}
	a.readChecklist(ctx, nil)
	a.refreshAudit(ctx)
	a.queued() // its writes go at once when the send service runs
	return nil
}

// SettleConflictTaking settles conflict id with one system's value for every conflicting field
// (`conflicts resolve ID --take edc|ctms`).
func (a *Agent) SettleConflictTaking(ctx context.Context, id string, sys ChecklistSystem, reason string) error {
	cs, err := a.ChecklistConflicts(ctx, false)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.ID == id {
			return a.SettleConflict(ctx, id, checklist.TakeAll(&c.Conflict, sys), reason)
		}
	}
	return fmt.Errorf("conflict %s: %w (trialsync conflicts list shows the open ones)", id, checklist.ErrNoConflict)
}

// reconcileSummary puts a reconciliation in words and figures.
func reconcileSummary(r ReconcileResult) Summary {
	p := message.NewPrinter(language.English)
	c := r.Counts
	return Summary{
		Text: p.Sprintf("%d items: %d in sync, %d written, %d in conflict, %d gaps, %d unmapped; %d writes sent",
			c.Items, c.InSync, c.WriteCTMS+c.WriteEDC+c.WriteBoth, c.Conflict, c.Gap, c.Unmapped, r.Delivery.Sent),
		Figures: []Figure{{"items", c.Items}, {"in_sync", c.InSync}, {"write_ctms", c.WriteCTMS}, {"write_edc", c.WriteEDC},
			{"write_both", c.WriteBoth}, {"conflict", c.Conflict}, {"gap", c.Gap}, {"unmapped", c.Unmapped},
			{"sent", r.Delivery.Sent}, {"dead", r.Delivery.Dead}},
	}
}
