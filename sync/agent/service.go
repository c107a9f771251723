package agent

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// service runs one ServiceSpec: the agent's one select loop (syncthing's folder.Serve), waiting on
// its timer, its kick channel, its remote's return or a restart, and ctx.
type service struct {
	a       *Agent
	spec    ServiceSpec
	kick    chan struct{} // "run now": 1-buffered, fed without blocking
	restart chan struct{} // "start again" after a fatal stop: 1-buffered, fed without blocking

	mu       sync.Mutex
	state    ServiceState
	fatalErr error // the error that stopped the service, for Run's result
}

func newService(a *Agent, spec ServiceSpec) *service {
	if spec.RetryAfter <= 0 {
		spec.RetryAfter = 5 * time.Second
	}
	spec.Every = max(spec.Every, spec.RetryAfter)
	return &service{a: a, spec: spec, kick: make(chan struct{}, 1), restart: make(chan struct{}, 1),
		state: ServiceState{Name: spec.Name, Engine: spec.Engine, Subject: spec.Subject, Remote: spec.Remote}}
}

func (s *service) String() string { return s.spec.Name }

// poke sends a non-blocking signal on ch.
func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default: // one is already pending
	}
}

// Serve is the loop; suture runs it and restarts it should it ever panic outside a run.
func (s *service) Serve(ctx context.Context) error {
	wait := &backoff.ExponentialBackOff{InitialInterval: s.spec.RetryAfter, RandomizationFactor: 0.2,
		Multiplier: 2, MaxInterval: s.spec.Every}
	wait.Reset()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		case <-s.kick:
		}
		sum, queue, err := s.runOnce(ctx)
		if ctx.Err() != nil {
			s.update(func(st *ServiceState) { st.Running = false })
			return ctx.Err()
		}
		s.a.observeRemote(s.spec.Remote, err)
		s.a.refreshAudit(ctx)
		v, ready := classify(err)
		next, text, hint := s.spec.Every, "", ""
		switch {
		case err == nil:
			wait.Reset()
			s.a.log.Info().Str("service", s.spec.Name).Str("summary", sum.Text).Msg("run done")
		case v == fatal:
			text, hint = s.stopText(err)
			s.mu.Lock()
			s.fatalErr = fmt.Errorf("%s: %w", s.spec.Name, err)
			s.mu.Unlock()
			s.a.log.Error().Err(err).Str("service", s.spec.Name).Msg("stopped: no retry can fix this")
		case v == offline:
			s.a.log.Warn().Err(err).Str("service", s.spec.Name).Msg("remote offline: waiting for it to answer")
		default:
			next = wait.NextBackOff()
			s.a.log.Error().Err(err).Str("service", s.spec.Name).Dur("retry_in", next).Msg("run failed")
		}
		// One update for the run's end, so that no reader sees it ended without its next run.
		s.update(func(st *ServiceState) {
			st.Running, st.LastEnd, st.Runs, st.Last = false, time.Now(), st.Runs+1, sum
			st.Err, st.Offline, st.Stopped, st.Hint, st.NextRun = "", false, false, "", time.Time{}
			if queue != nil {
				st.Queue = queue
			}
			switch {
			case err == nil:
				st.NextRun = time.Now().Add(next)
			case v == fatal:
				st.Err, st.Hint, st.Stopped = text, hint, true
			case v == offline:
				st.Err, st.Offline = s.a.Redact(oneLine(err.Error())), true
			default:
				st.Err, st.NextRun = s.a.Redact(oneLine(err.Error())), time.Now().Add(next)
			}
		})
		switch {
		case v == fatal && err != nil:
			if !s.waitRestart(ctx) {
				return ctx.Err()
			}
			wait.Reset()
			next = 0
		case v == offline:
			s.waitOnline(ctx, ready)
			next = 0
		}
		timer.Reset(next)
	}
}

// runOnce runs the step once, recording its start; a panic in the step is turned into a fatal
// error. It returns the run's summary, the queue's counts (for services that keep one) and its error.
func (s *service) runOnce(ctx context.Context) (sum Summary, queue []Figure, err error) {
	s.update(func(st *ServiceState) { st.Running, st.LastStart, st.NextRun = true, time.Now(), time.Time{} })
	func() {
		defer func() {
			if v := recover(); v != nil {
				err = panicError(v)
				s.a.log.Error().Str("service", s.spec.Name).Interface("panic", v).Msg("run panicked")
			}
		}()
		sum, err = s.spec.Run(ctx)
	}()
	if err != nil && ctx.Err() == nil && !IsFatal(err) {
		if werr := s.a.storeRefusesWrites(); werr != nil {
			err = Fatal(fmt.Errorf("%w (the store refuses writes: %w)", err, werr))
		}
	}
	if s.spec.Queue != nil && ctx.Err() == nil {
		var qerr error
		if queue, qerr = s.spec.Queue(ctx); qerr != nil {
			s.a.log.Warn().Err(qerr).Str("service", s.spec.Name).Msg("counting the queue")
		}
	}
	return sum, queue, err
}

// stopText is a fatal error in words for the state, and what starts the service again.
func (s *service) stopText(err error) (text, hint string) {
	text = s.a.Redact(oneLine(err.Error()))
	cred := s.credential()
	switch {
	case cred != "" && credentialRejected(err):
		text = "credential " + cred + " rejected: " + text
		hint = "Set " + cred + " again (Settings, or trialsync creds set " + cred + ") and this starts again."
	case cred != "":
		hint = "It starts again when a credential it uses (" + strings.Join(s.spec.Credentials, ", ") + ") is set."
	}
	return text, hint
}

// waitRestart waits, after a fatal stop, for a restart (a credential the service needs was set). It
// returns false when ctx ended first.
func (s *service) waitRestart(ctx context.Context) bool {
	select {
	case <-s.restart:
	case <-ctx.Done():
		return false
	}
	select {
	case <-s.kick: // asked while stopped: the restart runs at once anyway
	default:
	}
	s.mu.Lock()
	s.fatalErr = nil
	s.mu.Unlock()
	s.update(func(st *ServiceState) { st.Stopped, st.Hint = false, "" })
	s.a.log.Info().Str("service", s.spec.Name).Msg("starting again")
	return true
}

// credential is the first credential the service needs, "" for none.
func (s *service) credential() string {
	if len(s.spec.Credentials) == 0 {
		return ""
	}
	return s.spec.Credentials[0]
}

// waitOnline waits until the service's remote answers again, it is kicked, or ctx ends.
func (s *service) waitOnline(ctx context.Context, ready <-chan struct{}) {
	select {
	case <-ready:
	case <-s.kick:
	case <-ctx.Done():
	}
}

// needs reports whether the service needs the named credential.
func (s *service) needs(cred string) bool { return slices.Contains(s.spec.Credentials, cred) }

// fatal is the error that stopped the service, nil while it runs.
func (s *service) fatal() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fatalErr
}

func (s *service) snapshot() ServiceState {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state
	st.Last.Figures = slices.Clone(st.Last.Figures)
	st.Queue = slices.Clone(st.Queue)
	return st
}

func (s *service) update(fn func(*ServiceState)) {
	s.mu.Lock()
	fn(&s.state)
	s.mu.Unlock()
	s.a.changed.notify()
}

// oneLine folds whitespace so that an error stays one line on screen and in the CLI.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
