package agent

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/trialsync/trialsync/store"
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

// SubjectDiscovery is what one look for randomized subjects did.
type SubjectDiscovery = sureadhere.Discovery

// subjectPush is the agent's one subject push engine over its store, built on first use.
type subjectPush struct {
	mu  sync.Mutex
	db  *store.DB
	eng *sureadhere.Engine
}

// subjectsConfigured reports whether cfg sends subjects: [sureadhere] and a study with an arm item.
func subjectsConfigured(cfg *config.Config) bool {
	return cfg.SureAdhere != nil && len(armStudies(cfg, "")) > 0
}

// subjectsEngine registers the subject push's discovery: one service that, every Rave pull interval
// (or at once when kicked), reads the randomized subjects from the clinical store and queues what
// SureAdhere lacks; the send service of subject messages (subjectKind) delivers them. It needs no
// remote and no credential: unmapped arms and arm changes show even before SureAdhere is reachable.
func subjectsEngine() Engine {
	return Engine{
		Name:       EngineSubjects,
		Title:      "Subject push",
		Section:    "[sureadhere] and an arm_item in a [[rave.study]]",
		Configured: subjectsConfigured,
		Services: func(a *Agent, cfg *config.Config, sc Scope) ([]ServiceSpec, error) {
			if sc.Study != "" && len(armStudies(cfg, sc.Study)) == 0 {
				return nil, nil // the scoped study sends no subjects
			}
			return []ServiceSpec{{
				Name: subjectPushServiceName, Engine: EngineSubjects, Every: cfg.Rave.Poll,
				Run: func(ctx context.Context) (Summary, error) {
					d, err := a.DiscoverSubjects(ctx)
					return discoverySummary(d), err
				},
				Queue: a.subjectFigures,
			}}, nil
		},
	}
}

// subjectKind registers subject messages as an outbound kind: sent to SureAdhere through the agent's
// one SureAdhere client by the send engine's service for the kind.
func subjectKind() outboxKind {
	return outboxKind{
		kind: outbox.KindSubject, title: "subjects to SureAdhere", remote: RemoteSureAdhere,
		configured:  subjectsConfigured,
		credentials: func(*config.Config) []string { return []string{SureAdhereCredential} },
		ready: func(ctx context.Context, a *Agent) error {
			_, err := a.sureadhere.get(ctx)
			return err
		},
		sender: func(a *Agent, cfg *config.Config, db *store.DB) (outbox.Sender, outbox.Policy) {
			eng := a.subjectEngineOn(cfg, db)
			return eng, eng.Policy()
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
		return nil, "", Fatal(errNoSureAdhere(cfg))
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

func errNoSureAdhere(cfg *config.Config) error {
	return fmt.Errorf("%s: no [sureadhere] section: nowhere to send subjects", cfg.Path)
}

// subjectEngine returns the subject push over the agent's store; the configuration must send subjects.
func (a *Agent) subjectEngine(ctx context.Context) (*sureadhere.Engine, error) {
	cfg, err := a.Config()
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.SureAdhere == nil:
		return nil, errNoSureAdhere(cfg)
	case len(armStudies(cfg, "")) == 0:
		return nil, fmt.Errorf("%s: no [[rave.study]] has an arm_item: no randomized subjects to send", cfg.Path)
	}
	db, err := a.Store(ctx)
	if err != nil {
		return nil, err
	}
	return a.subjectEngineOn(cfg, db), nil
}

// subjectEngineOn returns the subject push over db, built once per store: discovery and the outbox's
// sender share it.
func (a *Agent) subjectEngineOn(cfg *config.Config, db *store.DB) *sureadhere.Engine {
	a.subjects.mu.Lock()
	defer a.subjects.mu.Unlock()
	if a.subjects.eng == nil || a.subjects.db != db {
		var regimens map[string]string
		if cfg.SureAdhere != nil {
			regimens = cfg.SureAdhere.Regimens
		}
		a.subjects.db = db
		a.subjects.eng = sureadhere.NewEngine(sureadhere.Options{DB: db, Studies: armStudies(cfg, ""),
			Regimens: regimens, Client: a.sureadhere.get})
	}
	return a.subjects.eng
}

// DiscoverSubjects reads the randomized subjects from the clinical store and queues what SureAdhere
// lacks (the subject service's run), then asks the send service to deliver them.
func (a *Agent) DiscoverSubjects(ctx context.Context) (SubjectDiscovery, error) {
	eng, err := a.subjectEngine(ctx)
	if err != nil {
		return SubjectDiscovery{}, err
	}
	d, err := eng.Discover(ctx)
	if d.Queued > 0 {
		a.queued()
	}
	a.refreshAudit(ctx)
	return d, err
}

// PushSubjects runs the subject push once, as `subjects push --once` does: it queues the randomized
// subjects SureAdhere lacks and delivers the subject messages, retrying failures with backoff within
// the run, until each is done, dead or held. An unreachable SureAdhere is returned (carrying Ready)
// after its messages are held, so that the caller can say so; a refused or missing token is fatal.
func (a *Agent) PushSubjects(ctx context.Context) (SubjectPushResult, error) {
	eng, err := a.subjectEngine(ctx)
	if err != nil {
		return SubjectPushResult{}, err
	}
	ob, err := a.Outbox(ctx)
	if err != nil {
		return SubjectPushResult{}, err
	}
	res, err := eng.Push(ctx, ob)
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

// subjectFigures counts, for the subject service's state after each run, what discovery decides: the
// randomized subjects, those whose arm has no regimen and those whose arm changed after the push. Where
// their sends are is the send service's (its queue counts).
func (a *Agent) subjectFigures(ctx context.Context) ([]Figure, error) {
	rows, err := a.Subjects(ctx)
	if err != nil {
		return nil, err
	}
	c := CountSubjects(rows)
	return []Figure{{FigureSubjects, c.Subjects}, {FigureUnmapped, c.Unmapped}, {FigureArmChanged, c.ArmChanged}}, nil
}

// The names of the subject service's queue figures (ServiceState.Queue).
const (
	FigureSubjects   = "subjects"
	FigureUnmapped   = "unmapped"
	FigureArmChanged = "arm_changed"
)

// SubjectPushState is the subject push as a snapshot shows it: its discovery service, the send service
// of its messages, and what each last counted.
type SubjectPushState struct {
	Configured bool
	// Discovery is the service that finds randomized subjects and queues them; Send the one that
	// delivers subject messages to SureAdhere (its Offline, Stopped and Err say how SureAdhere answers).
	// Each is nil while not running.
	Discovery, Send *ServiceState
	// Subjects, Unmapped and ArmChanged are as of the last discovery; Unmapped and ArmChanged each wait
	// for a person.
	Subjects, Unmapped, ArmChanged int
	// Queue is the subject messages by state as of the last delivery run (Dead ones wait for a person).
	Queue QueueCounts
}

// NeedPerson is how many subjects wait for a person: unmapped arms, arm changes, dead sends.
func (p SubjectPushState) NeedPerson() int { return p.Unmapped + p.ArmChanged + p.Queue.Dead }

// SubjectPushOf reads the subject push's state out of a snapshot.
func SubjectPushOf(s Snapshot) SubjectPushState {
	var p SubjectPushState
	if e, ok := s.Engine(EngineSubjects); ok {
		p.Configured = e.Configured
	}
	for _, st := range s.Services {
		switch {
		case st.Engine == EngineSubjects:
			p.Discovery = &st
			p.Subjects, p.Unmapped, p.ArmChanged = figure(st.Queue, FigureSubjects), figure(st.Queue, FigureUnmapped), figure(st.Queue, FigureArmChanged)
		case st.Engine == EngineSend && st.Subject == outbox.KindSubject:
			p.Send = &st
			q := st.Queue
			p.Queue = QueueCounts{Pending: figure(q, "pending"), Sending: figure(q, "sending"), Held: figure(q, "held"),
				Dead: figure(q, "dead"), Urgent: figure(q, "urgent"), Blocked: figure(q, "blocked"), Done: figure(q, "done"),
				Discarded: figure(q, "discarded")}
		}
	}
	return p
}

// figure is the named figure's value, 0 when figs has none.
func figure(figs []Figure, name string) int {
	if i := slices.IndexFunc(figs, func(f Figure) bool { return f.Name == name }); i >= 0 {
		return figs[i].Value
	}
	return 0
}

// discoverySummary puts a discovery's counts in words and figures.
func discoverySummary(d SubjectDiscovery) Summary {
	p := message.NewPrinter(language.English)
	return Summary{
		Text: p.Sprintf("%d randomized subjects read, %d queued, %d unmapped arms, %d arm changes flagged",
			d.Randomized, d.Queued, d.Unmapped, d.Flagged),
		Figures: []Figure{{"randomized", d.Randomized}, {"queued", d.Queued}, {"unmapped", d.Unmapped},
			{"flagged", d.Flagged}, {"settled", d.Settled}},
	}
}
