package sureadhere

import (
	"context"
	"time"

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
	DB *store.DB
	// Studies are the studies with an arm_item; the others have no randomized subjects to send.
	Studies []Study
	// Regimens maps a Rave arm to a SureAdhere regimen ([sureadhere] regimens).
	Regimens map[string]string
	// Client returns the SureAdhere client (the agent's one, built on first use); an error from it (a
	// credential missing) ends a delivery before anything is claimed.
	Client func(ctx context.Context) (*Client, error)
	// Now is the clock (time.Now by default).
	Now func() time.Time
}

// Engine is the subject push: Discover finds randomized subjects in the pulled clinical data and
// queues what SureAdhere lacks in the outbox; Send is the outbox's Sender for subject messages (register
// it with Policy); Push does both for one outbox. It is safe for concurrent use.
type Engine struct {
	opts Options
}

// NewEngine returns the subject push for opts.
func NewEngine(opts Options) *Engine {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Engine{opts: opts}
}

func (e *Engine) now() time.Time { return e.opts.Now().UTC() }

// Policy is how subject messages are retried: MaxAttempts attempts.
func (e *Engine) Policy() outbox.Policy { return outbox.Policy{MaxAttempts: MaxAttempts} }

// Result is what one Push did.
type Result struct {
	Discovery
	outbox.Report
}

// Push discovers, then delivers every subject message of ob (where Send must be registered for
// outbox.KindSubject) until each is done, dead or held: `subjects push --once`. A fatal error (the
// token refused or missing) ends it; an unreachable SureAdhere does not: Report.Offline says so, with
// the channel that closes when it answers again.
func (e *Engine) Push(ctx context.Context, ob *outbox.Outbox) (Result, error) {
	var res Result
	d, err := e.Discover(ctx)
	res.Discovery = d
	if err != nil {
		return res, err
	}
	if d.Queued > 0 {
		ob.Notify()
	}
	rep, err := e.Deliver(ctx, ob)
	res.Report = rep
	return res, err
}

// Deliver sends the queued subjects of ob (outbox.Deliver for subject messages): one run that ends
// when each is done, dead or held. The client is built first, so that a missing credential stops the
// run before any message is claimed.
func (e *Engine) Deliver(ctx context.Context, ob *outbox.Outbox) (outbox.Report, error) {
	if _, err := e.opts.Client(ctx); err != nil {
		return outbox.Report{}, err
	}
	return ob.Deliver(ctx, outbox.DeliverOptions{Kinds: []string{outbox.KindSubject}})
}
