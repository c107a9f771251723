package agent

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/trialsync/trialsync/sync/config"
	"github.com/trialsync/trialsync/sync/outbox"
	httpremote "github.com/trialsync/trialsync/sync/remote"
	"github.com/trialsync/trialsync/sync/sureadhere"
)

// The subject push's names: its engine, the remote it talks to, and the credential it needs.
const (
	EngineSubjects         = "subjects"
	RemoteSureAdhere       = "sureadhere"
	SureAdhereCredential   = "sureadhere.token"
	subjectPushServiceName = "Subject push"
)

// SubjectRow is one randomized subject as the Subjects screen and `subjects list` show it.
type SubjectRow = sureadhere.Row

// SubjectCounts are the randomized subjects by push status.
type SubjectCounts = sureadhere.Counts

// CountSubjects counts listed subjects by status.
func CountSubjects(rows []SubjectRow) SubjectCounts { return sureadhere.Count(rows) }

// SubjectPushResult is what one subject push did: the discovery and the delivery.
type SubjectPushResult = sureadhere.Result

// subjectPush is the agent's one subject push engine, built on first use from the configuration.
type subjectPush struct {
	mu  sync.Mutex
	eng *sureadhere.Engine
}

// subjectsEngine registers the subject push: one service that, after each Rave pull interval (or at
// once when kicked), reads the randomized subjects from the clinical store, queues what SureAdhere
// lacks, and delivers them through the outbox with the agent's one SureAdhere client.
func subjectsEngine() Engine {
	return Engine{
		Name:       EngineSubjects,
		Title:      "Subject push",
		Section:    "[sureadhere] and an arm_item in a [[rave.study]]",
		Configured: func(cfg *config.Config) bool { return cfg.SureAdhere != nil && len(armStudies(cfg, "")) > 0 },
		Services: func(a *Agent, cfg *config.Config, sc Scope) ([]ServiceSpec, error) {
			if sc.Study != "" && len(armStudies(cfg, sc.Study)) == 0 {
				return nil, nil // the scoped study sends no subjects
			}
			return []ServiceSpec{{
				Name: subjectPushServiceName, Engine: EngineSubjects, Remote: RemoteSureAdhere,
				Credentials: []string{SureAdhereCredential}, Every: cfg.Rave.Poll,
				Run: func(ctx context.Context) (Summary, error) {
					res, err := a.PushSubjects(ctx)
					return subjectSummary(res), err
				},
				Queue: a.subjectFigures,
			}}, nil
		},
	}
}

// armStudies are the configured studies with an arm item (only study, when given).
func armStudies(cfg *config.Config, only string) []sureadhere.Study {
	if cfg.Rave == nil {
		return nil
	}
	var out []sureadhere.Study
	for _, s := range cfg.Rave.Studies {
		if s.ArmItem != "" && (only == "" || s.OID == only) {
			out = append(out, sureadhere.Study{OID: s.OID, ArmItem: s.ArmItem})
		}
	}
	return out
}

// newSureAdhereClient builds the agent's one SureAdhere client from [sureadhere] url and the keyring
// entry sureadhere.token (known to the redactor from the moment the keyring hands it out).
func (a *Agent) newSureAdhereClient(ctx context.Context) (*sureadhere.Client, string, error) {
	cfg, err := a.Config()
	if err != nil {
		return nil, "", err
	}
	if cfg.SureAdhere == nil {
		return nil, "", Fatal(fmt.Errorf("%s: no [sureadhere] section: nowhere to send subjects", cfg.Path))
	}
	token, err := a.Credential(SureAdhereCredential)
	if err != nil {
		return nil, "", err
	}
	db, err := a.Store(ctx)
	if err != nil {
		return nil, "", err
	}
	// One attempt retries 429 and 5xx for a minute at most: the outbox spaces the next attempts, and a
	// `subjects push --once` against a failing SureAdhere ends within the hour.
	c, err := sureadhere.New(sureadhere.Config{BaseURL: cfg.SureAdhere.URL, Logger: a.log, Fingerprint: db.Fingerprint,
		Retry: httpremote.RetryPolicy{MaxElapsed: time.Minute}}, token)
	if err != nil {
		return nil, "", Fatal(err) // a configuration that can never work
	}
	return c, c.BaseURL(), nil
}

// subjectEngine returns the subject push, building it (and registering its sender on the outbox) on
// the first call.
func (a *Agent) subjectEngine(ctx context.Context) (*sureadhere.Engine, error) {
	a.subjects.mu.Lock()
	defer a.subjects.mu.Unlock()
	if a.subjects.eng != nil {
		return a.subjects.eng, nil
	}
	cfg, err := a.Config()
	if err != nil {
		return nil, err
	}
	if cfg.SureAdhere == nil {
		return nil, fmt.Errorf("%s: no [sureadhere] section: nowhere to send subjects", cfg.Path)
	}
	studies := armStudies(cfg, "")
	if len(studies) == 0 {
		return nil, fmt.Errorf("%s: no [[rave.study]] has an arm_item: no randomized subjects to send", cfg.Path)
	}
	db, err := a.Store(ctx)
	if err != nil {
		return nil, err
	}
	ob := outbox.New(db, outbox.Options{Log: a.log, Fatal: IsFatal})
	a.subjects.eng = sureadhere.NewEngine(sureadhere.Options{DB: db, Outbox: ob, Studies: studies,
		Regimens: cfg.SureAdhere.Regimens, Client: a.sureadhere.get, Log: a.log, Fatal: IsFatal})
	return a.subjects.eng, nil
}

// PushSubjects runs the subject push once: it queues the randomized subjects SureAdhere lacks and
// delivers them, retrying failures with backoff within the run, until every subject message is done,
// dead or held. An unreachable SureAdhere is not an error of the run's making but it is returned
// (carrying Ready), so that the service waits for SureAdhere and the CLI can say so; a refused or
// missing token is fatal.
func (a *Agent) PushSubjects(ctx context.Context) (SubjectPushResult, error) {
	eng, err := a.subjectEngine(ctx)
	if err != nil {
		return SubjectPushResult{}, err
	}
	res, err := eng.Push(ctx)
	a.observeRemote(RemoteSureAdhere, err)
	if err == nil && len(res.Offline) > 0 {
		err = res.Offline[0].Err
	}
	a.refreshAudit(ctx)
	return res, err
}

// Subjects lists the randomized subjects and their push state, in study and subject order. It reads
// the store only.
func (a *Agent) Subjects(ctx context.Context) ([]SubjectRow, error) {
	db, err := a.ReadStore(ctx)
	if err != nil {
		return nil, err
	}
	return sureadhere.List(ctx, db)
}

// AcknowledgeArmChange records the decision of the person at the keyboard on a subject's arm change,
// with their reason (required), in one transaction with its audit entry. Nothing is sent: SureAdhere's
// ingest cannot change a regimen, so the person changes it in SureAdhere and acknowledges it here.
func (a *Agent) AcknowledgeArmChange(ctx context.Context, study, subject, reason string) error {
	db, err := a.Store(ctx)
	if err != nil {
		return err
	}
	if _, err := sureadhere.Acknowledge(ctx, db, a.actor, study, subject, reason); err != nil {
		return err
	}
	a.refreshAudit(ctx)
	a.Kick(EngineSubjects) // its counts follow
	return nil
}

// subjectFigures counts the subjects by status for the service's state after each run.
func (a *Agent) subjectFigures(ctx context.Context) ([]Figure, error) {
	rows, err := a.Subjects(ctx)
	if err != nil {
		return nil, err
	}
	return SubjectFigures(CountSubjects(rows)), nil
}

// The names of the subject push's queue figures (ServiceState.Queue).
const (
	FigureSubjects   = "subjects"
	FigurePushed     = "pushed"
	FigureQueued     = "queued"
	FigureHeld       = "held"
	FigureDead       = "dead"
	FigureDiscarded  = "discarded"
	FigureUnmapped   = "unmapped"
	FigureArmChanged = "arm_changed"
)

// SubjectFigures are counts as the figures of the subject push's state, in the order a table shows them.
func SubjectFigures(c SubjectCounts) []Figure {
	return []Figure{{FigureSubjects, c.Subjects}, {FigurePushed, c.Pushed}, {FigureQueued, c.Queued},
		{FigureHeld, c.Held}, {FigureDead, c.Dead}, {FigureDiscarded, c.Discarded}, {FigureUnmapped, c.Unmapped},
		{FigureArmChanged, c.ArmChanged}}
}

// SubjectCountsOf reads counts back from the subject push's figures (a service's Queue).
func SubjectCountsOf(figs []Figure) SubjectCounts {
	get := func(name string) int {
		if i := slices.IndexFunc(figs, func(f Figure) bool { return f.Name == name }); i >= 0 {
			return figs[i].Value
		}
		return 0
	}
	return SubjectCounts{Subjects: get(FigureSubjects), Pushed: get(FigurePushed), Queued: get(FigureQueued),
		Held: get(FigureHeld), Dead: get(FigureDead), Discarded: get(FigureDiscarded), Unmapped: get(FigureUnmapped),
		ArmChanged: get(FigureArmChanged)}
}

// subjectSummary puts a push's counts in words and figures.
func subjectSummary(r SubjectPushResult) Summary {
	p := message.NewPrinter(language.English)
	return Summary{
		Text: p.Sprintf("%d queued, %d sent, %d dead, %d held; %d unmapped arms, %d arm changes flagged",
			r.Queued, r.Sent, r.Dead, r.Held, r.Unmapped, r.Flagged),
		Figures: []Figure{{"queued", r.Queued}, {"sent", r.Sent}, {"dead", r.Dead}, {"held", r.Held},
			{"unmapped", r.Unmapped}, {"flagged", r.Flagged}},
	}
}
