package agent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/thejerf/suture/v4"

	"github.com/trialsync/trialsync/sync/config"
)

// StartOptions choose what Start runs; the zero value runs every configured engine in full.
type StartOptions struct {
	Engines []string // only the engines of these names; empty: every configured engine
	Scope   Scope
}

// errNothingConfigured is why Start runs nothing when the configuration has no engine's section (or
// there is no configuration file yet): a setup to explain, not a fault.
var errNothingConfigured = errors.New("nothing to run")

// runner is one Start's service tree.
type runner struct {
	services []*service
	cancel   context.CancelFunc
	stopOnce sync.Once
	done     chan struct{} // closed once every service has returned
	err      error         // the supervisor's own failure, set before done is closed

	// background are the services of Background engines: Run does not wait for them to stop.
	background map[*service]bool
	// parent and opts are Start's, for a restart after a settings change.
	parent context.Context
	opts   StartOptions
}

func (r *runner) ended() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// Start builds the services of every configured engine (or those opts selects) and runs them in the
// background under one supervisor until ctx ends or Stop is called. It fails, starting nothing, when
// the configuration cannot be loaded or selects nothing to run; the snapshot's Problem then says why
// (except for a setup not yet done: no file, no engine's section). A service's own failures never
// end Start's tree: they are in its state. Start again only after the previous run has ended.
func (a *Agent) Start(ctx context.Context, opts StartOptions) error {
	a.runMu.Lock()
	defer a.runMu.Unlock()
	if a.run != nil && !a.run.ended() {
		return errors.New("the services are already running")
	}
	specs, err := a.plan(opts)
	a.problem = ""
	if err != nil && !errors.Is(err, errNothingConfigured) && !errors.Is(err, config.ErrNotFound) {
		a.problem = a.Redact(oneLine(err.Error()))
	}
	if err != nil {
		a.changed.notify()
		return err
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	r := &runner{cancel: cancel, done: make(chan struct{}), background: map[*service]bool{}, parent: parent, opts: opts}
	sup := suture.New("trialsync", suture.Spec{
		Timeout: 10 * time.Second, // for a service to return once asked to stop
		EventHook: func(ev suture.Event) {
			a.log.Warn().Str("event", ev.String()).Msg("service supervisor")
		},
	})
	for _, spec := range specs {
		s := newService(a, spec)
		r.services = append(r.services, s)
		r.background[s] = a.isBackground(spec.Engine)
		sup.Add(s)
	}
	errc := sup.ServeBackground(ctx)
	go a.keepFiguresFresh(ctx)
	go func() {
		err := <-errc
		if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			r.err = err
		}
		close(r.done)
		a.changed.notify()
	}()
	a.run = r
	a.changed.notify()
	return nil
}

// plan walks the engine registry and collects the services to start.
func (a *Agent) plan(opts StartOptions) ([]ServiceSpec, error) {
	cfg, err := a.Config()
	if err != nil {
		return nil, err
	}
	var specs []ServiceSpec
	var sections []string
	foreground := 0
	for _, e := range a.engines {
		if len(opts.Engines) > 0 && !slices.Contains(opts.Engines, e.Name) {
			continue
		}
		if !e.Background {
			sections = append(sections, e.Section)
		}
		if !e.Configured(cfg) {
			continue
		}
		s, err := e.Services(a, cfg, opts.Scope)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Title, err)
		}
		specs = append(specs, s...)
		if !e.Background {
			foreground += len(s)
		}
	}
	if foreground == 0 {
		return nil, fmt.Errorf("%s: %w: configure %s", cfg.Path, errNothingConfigured, strings.Join(sections, ", or "))
	}
	return specs, nil
}

// Stop asks the running services to end and waits until they have; later calls return at once.
func (a *Agent) Stop() {
	r := a.current()
	if r == nil {
		return
	}
	r.stopOnce.Do(r.cancel)
	<-r.done
}

// Wait blocks until the services started last have ended (at once when none were started), and
// returns the supervisor's own failure, if any.
func (a *Agent) Wait() error {
	r := a.current()
	if r == nil {
		return nil
	}
	<-r.done
	return r.err
}

// Run is Start for headless use: it runs the services until ctx ends (nil) or every one of them has
// stopped on a fatal error (their errors, joined: nothing would ever run again without a person).
func (a *Agent) Run(ctx context.Context, opts StartOptions) error {
	changed, unsubscribe := a.Subscribe()
	defer unsubscribe()
	if err := a.Start(ctx, opts); err != nil {
		return err
	}
	defer a.Stop()
	r := a.current()
	for {
		if err := r.allStopped(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			a.Stop()
			return a.Wait()
		case <-r.done:
			return r.err
		case <-changed:
		}
	}
}

// allStopped joins the fatal errors of the services when every one (but the background ones) has
// stopped on one, else nil.
func (r *runner) allStopped() error {
	var errs []error
	for _, s := range r.services {
		if r.background[s] {
			continue
		}
		err := s.fatal()
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (a *Agent) current() *runner {
	a.runMu.Lock()
	defer a.runMu.Unlock()
	return a.run
}

// services are those of the current run, nil when none was started.
func (a *Agent) services() []*service {
	if r := a.current(); r != nil {
		return r.services
	}
	return nil
}

// Kick asks every service of the named engine ("" for all) to run at once (a "Pull now" button); it
// never blocks, and a service already asked, or stopped on a fatal error, is not asked twice.
func (a *Agent) Kick(engine string) {
	for _, s := range a.services() {
		if engine == "" || s.spec.Engine == engine {
			poke(s.kick)
		}
	}
}

// Subscribe returns a channel that receives a signal after the agent's state changes, and the
// function that ends the subscription. Every subscriber gets every change; one signal at most is
// pending per subscriber, so a slow reader reads the latest Snapshot rather than a backlog.
func (a *Agent) Subscribe() (<-chan struct{}, func()) { return a.changed.subscribe() }

// credentialSet rebuilds the clients that use cred and starts again the services stopped on a fatal
// error that need it (a credential rejected or missing, now replaced).
func (a *Agent) credentialSet(cred string) {
	for _, r := range a.remotes {
		r.credentialSet(cred)
	}
	for _, s := range a.services() {
		if s.needs(cred) && s.fatal() != nil {
			poke(s.restart)
		}
	}
}
