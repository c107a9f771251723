package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/config"
	"github.com/trialsync/trialsync/sync/outbox"
)

// EngineSend is the outbound queue's engine: one send service per kind of message configured.
const EngineSend = "send"

// outboxKind is one kind of outbound message the agent can deliver: which configuration sends it,
// through which remote, and its sender. Each engine that sends registers one in outboxKinds.
type outboxKind struct {
	kind   string // outbox.KindExposure, …
	title  string // for people: "exposures to Rave"
	remote string // RemoteRave, …
	// configured reports whether cfg sends this kind.
	configured func(cfg *config.Config) bool
	// credentials are the keyring entries its remote's client needs.
	credentials func(cfg *config.Config) []string
	// ready builds what a send needs (the remote's client), so that a missing credential is found
	// before a run starts rather than by its first message.
	ready func(ctx context.Context, a *Agent) error
	// sender builds the kind's sender and retry policy over db.
	sender func(a *Agent, cfg *config.Config, db *store.DB) (outbox.Sender, outbox.Policy)
}

// outboxKinds is the registry of outbound kinds, in the order the snapshot lists their services.
func outboxKinds() []outboxKind {
	return []outboxKind{
		exposureKind(),
		subjectKind(),   // subjects.go
		checklistKind(), // checklist.go
	}
}

// sendEngine registers the delivery of the outbound queue: one service per configured kind, each
// running outbox.Deliver (until every message is done, dead, held or blocked) at start, when kicked
// (a record queued, a message retried), every [send] every (a minute by default), and when its remote
// answers again after it was unreachable.
func sendEngine() Engine {
	return Engine{
		Name:    EngineSend,
		Title:   "Outbound queue",
		Section: "[exposure] (with [rave])",
		Configured: func(cfg *config.Config) bool {
			return len(configuredKinds(cfg)) > 0
		},
		Figures: sendFigures, // the dashboard's queue counts per site (sendfigures.go)
		Services: func(a *Agent, cfg *config.Config, sc Scope) ([]ServiceSpec, error) {
			var specs []ServiceSpec
			for _, k := range configuredKinds(cfg) {
				if sc.Kind != "" && k.kind != sc.Kind {
					continue
				}
				specs = append(specs, ServiceSpec{
					Name: "Send " + k.title, Engine: EngineSend, Subject: k.kind, Remote: k.remote,
					Credentials: k.credentials(cfg), Every: cfg.SendEvery(),
					Run: func(ctx context.Context) (Summary, error) { return a.deliver(ctx, k.kind) },
					Queue: func(ctx context.Context) ([]Figure, error) {
						c, err := a.QueueCounts(ctx, k.kind)
						return c.Figures(), err
					},
				})
			}
			return specs, nil
		},
	}
}

func configuredKinds(cfg *config.Config) []outboxKind {
	var out []outboxKind
	for _, k := range outboxKinds() {
		if cfg != nil && k.configured(cfg) {
			out = append(out, k)
		}
	}
	return out
}

// Outbox returns the agent's outbox over its store, the senders of every configured kind registered.
// It is built once per store (the outbox knows which attempts are in flight in this process).
func (a *Agent) Outbox(ctx context.Context) (*outbox.Outbox, error) {
	db, err := a.Store(ctx)
	if err != nil {
		return nil, err
	}
	a.outboxMu.Lock()
	defer a.outboxMu.Unlock()
	if a.outbox != nil && a.outbox.DB() == db {
		return a.outbox, nil
	}
	ob := outbox.New(db, outbox.Options{Log: a.log, Fatal: IsFatal})
	if cfg, err := a.Config(); err == nil {
		for _, k := range configuredKinds(cfg) {
			s, p := k.sender(a, cfg, db)
			ob.Register(k.kind, s, p)
		}
	}
	a.outbox = ob
	return ob, nil
}

// queued tells the send services that messages were queued: a run in progress looks again at once,
// and an idle one starts.
func (a *Agent) queued() {
	a.outboxMu.Lock()
	ob := a.outbox
	a.outboxMu.Unlock()
	if ob != nil {
		ob.Notify()
	}
	a.Kick(EngineSend)
}

// deliver is one send service's run: one delivery of its kind. When the kind's remote could not be
// reached its messages are held, and the run returns the remote's offline error, so that the service
// waits for it to answer and runs again then.
func (a *Agent) deliver(ctx context.Context, kind string) (Summary, error) {
	ob, err := a.Outbox(ctx)
	if err != nil {
		return Summary{}, err
	}
	rep, err := ob.Deliver(ctx, outbox.DeliverOptions{Kinds: []string{kind}})
	sum := sendSummary(rep)
	if err == nil && len(rep.Offline) > 0 {
		err = rep.Offline[0].Err
	}
	return sum, err
}

// SendResult is one delivery run's outcome, as `send --once` prints it.
type SendResult = outbox.Report

// Send runs one delivery of every configured kind, as `send --once` does: it retries failures with
// backoff within the run and returns when every message is done, dead, held (its remote unreachable) or
// waiting behind a dead one. It fails before sending anything when the configuration has nothing to
// send or a credential a kind needs is missing; a credential the remote rejects stops it too.
func (a *Agent) Send(ctx context.Context) (SendResult, error) {
	cfg, err := a.Config()
	if err != nil {
		return SendResult{}, err
	}
	kinds := configuredKinds(cfg)
	if len(kinds) == 0 {
		return SendResult{}, fmt.Errorf("%s: nothing to send: configure %s", cfg.Path, sendEngine().Section)
	}
	var names []string
	for _, k := range kinds {
		if err := k.ready(ctx, a); err != nil {
			return SendResult{}, err
		}
		names = append(names, k.kind)
	}
	ob, err := a.Outbox(ctx)
	if err != nil {
		return SendResult{}, err
	}
	rep, err := ob.Deliver(ctx, outbox.DeliverOptions{Kinds: names})
	a.refreshAudit(ctx)
	return rep, err
}

// Messages lists the outbound messages f selects, oldest first, from the store as it is (read-only
// when nothing else opened it for writing).
func (a *Agent) Messages(ctx context.Context, f outbox.Filter) ([]outbox.Listed, error) {
	db, err := a.ReadStore(ctx)
	if err != nil {
		return nil, err
	}
	return outbox.List(ctx, db, f)
}

// QueueCounts counts the outbound messages of the given kinds (all when none) by state.
func (a *Agent) QueueCounts(ctx context.Context, kinds ...string) (QueueCounts, error) {
	db, err := a.ReadStore(ctx)
	if err != nil {
		return QueueCounts{}, err
	}
	c, err := outbox.Count(ctx, db, kinds...)
	return QueueCounts(c), err
}

// QueueCounts are a queue's messages by state (outbox.Counts), as the snapshot carries them.
type QueueCounts outbox.Counts

// Figures are the counts as a service's queue figures, in the order screens show them.
func (c QueueCounts) Figures() []Figure {
	return []Figure{{"pending", c.Pending}, {"sending", c.Sending}, {"held", c.Held}, {"dead", c.Dead},
		{"urgent", c.Urgent}, {"blocked", c.Blocked}, {"done", c.Done}, {"discarded", c.Discarded}}
}

// RetryMessage re-queues dead message id on behalf of the person at the keyboard (audited), and asks
// the send services to run.
func (a *Agent) RetryMessage(ctx context.Context, id uint64) (outbox.Message, error) {
	ob, err := a.Outbox(ctx)
	if err != nil {
		return outbox.Message{}, err
	}
	m, err := ob.Retry(ctx, a.actor, id)
	if err != nil {
		return m, queueError(id, err)
	}
	a.refreshAudit(ctx)
	a.Kick(EngineSend)
	return m, nil
}

// DiscardMessage ends message id unsent on behalf of the person at the keyboard, with their reason
// (required; audited).
func (a *Agent) DiscardMessage(ctx context.Context, id uint64, reason string) (outbox.Message, error) {
	ob, err := a.Outbox(ctx)
	if err != nil {
		return outbox.Message{}, err
	}
	m, err := ob.Discard(ctx, a.actor, id, reason)
	if err != nil {
		return m, queueError(id, err)
	}
	a.refreshAudit(ctx)
	a.Kick(EngineSend) // the messages behind it may go now
	return m, nil
}

// queueError says a refused retry or discard in a coordinator's words.
func queueError(id uint64, err error) error {
	switch {
	case errors.Is(err, outbox.ErrNotFound):
		return fmt.Errorf("message %d: there is no such outbound message (trialsync queue list shows them)", id)
	case errors.Is(err, outbox.ErrNotDead), errors.Is(err, outbox.ErrFinished):
		return errors.New(strings.TrimPrefix(err.Error(), "outbox: "))
	}
	return err
}

// sendSummary puts a delivery run's figures in words.
func sendSummary(r outbox.Report) Summary {
	p := message.NewPrinter(language.English)
	text := p.Sprintf("sent %d, dead %d, held %d", r.Sent, r.Dead, r.Held)
	if r.Blocked > 0 {
		text += p.Sprintf(", %d waiting behind a dead message", r.Blocked)
	}
	return Summary{Text: text, Figures: []Figure{{"sent", r.Sent}, {"dead", r.Dead}, {"held", r.Held},
		{"failed", r.Failed}, {"blocked", r.Blocked}, {"recovered", r.Recovered}}}
}
