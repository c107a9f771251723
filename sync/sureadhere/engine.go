package sureadhere

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/outbox"
)

// MaxAttempts bounds the attempts of one subject's send before its message is dead and a person is
// asked. It is high because an attempt costs SureAdhere nothing (the MRN makes a repeated ingest a 409)
// and because attempts are spent by more than refusals: an attempt interrupted by a stop of trialsync
// counts (whether it arrived is unknown), so a workstation restarted again and again must not
// dead-letter its subjects. Each attempt retries 429 and 5xx inside itself (honouring Retry-After),
// and an unreachable SureAdhere spends no attempt at all: a subject goes dead only when SureAdhere
// refuses it, or keeps failing for the best part of an hour ("retry until acknowledged").
const MaxAttempts = 25

// Study is one study whose randomized subjects go to SureAdhere: its OID and the ItemOID that holds
// the arm ([[rave.study]] arm_item).
type Study struct {
	OID     string
	ArmItem string
}

// Options configure an Engine.
type Options struct {
	DB     *store.DB
	Outbox *outbox.Outbox // the store's one outbox; the engine registers its sender there
	// Studies are the studies with an arm_item; the others have no randomized subjects to send.
	Studies []Study
	// Regimens maps a Rave arm to a SureAdhere regimen ([sureadhere] regimens).
	Regimens map[string]string
	// Client returns the SureAdhere client (the agent's one, built on first use); an error from it (a
	// credential missing) ends the delivery before anything is claimed.
	Client func(ctx context.Context) (*Client, error)
	Log    zerolog.Logger
	// Fatal reports an error no retry can fix (the agent's classification); remote.IsFatal by default.
	Fatal func(error) bool
	// Now is the clock (time.Now by default).
	Now func() time.Time
}

// Engine is the subject push: Discover finds randomized subjects in the pulled clinical data and
// queues what SureAdhere lacks; Deliver sends them through the outbox; Acknowledge records a
// person's decision on an arm change. It is safe for concurrent use.
type Engine struct {
	opts Options
}

// NewEngine returns the subject push for opts and registers its sender for subject messages on the
// outbox.
func NewEngine(opts Options) *Engine {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	e := &Engine{opts: opts}
	opts.Outbox.Register(outbox.KindSubject, outbox.SenderFunc(e.send), outbox.Policy{MaxAttempts: MaxAttempts})
	return e
}

func (e *Engine) now() time.Time { return e.opts.Now().UTC() }

// Result is what one Push did.
type Result struct {
	Discovery
	outbox.Report
}

// Push discovers, then delivers every subject message until each is done, dead or held: one run of
// the agent's subject service, and `subjects push --once`. A fatal error (the token refused or
// missing) ends it; an unreachable SureAdhere does not: Report.Offline says so, with the channel that
// closes when it answers again.
func (e *Engine) Push(ctx context.Context) (Result, error) {
	var res Result
	d, err := e.Discover(ctx)
	res.Discovery = d
	if err != nil {
		return res, err
	}
	rep, err := e.Deliver(ctx)
	res.Report = rep
	return res, err
}

// Deliver sends the queued subjects (outbox.Deliver for subject messages): one run that ends when
// each is done, dead or held. The client is built first, so that a missing credential stops the run
// before any message is claimed.
func (e *Engine) Deliver(ctx context.Context) (outbox.Report, error) {
	if _, err := e.opts.Client(ctx); err != nil {
		return outbox.Report{}, err
	}
	return e.opts.Outbox.Deliver(ctx, outbox.DeliverOptions{Kinds: []string{outbox.KindSubject}})
}
