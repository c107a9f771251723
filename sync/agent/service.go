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

// Step does one run of a service's work and says what it did, or returns why it could not. The agent
// classes the error: fatal (IsFatal: the service stops and shows why), offline (the remote cannot be
// reached: the service waits until it answers) or anything else (retried after a backoff). A Step
// must honour ctx and may return a partial Summary with its error.
type Step func(ctx context.Context) (Summary, error)

// Summary is what one run did: a sentence for people and named figures for tables and scripts.
type Summary struct {
	Text    string   // e.g. "12 pages, 4,872 rows read, 130 written, 2 quarantined"
	Figures []Figure // in the order a table shows them
}

// Figure is one named count of a run or a queue.
type Figure struct {
	Name  string // e.g. "rows"
	Value int
}

// Figure returns the value of the named figure, 0 when the summary has none.
func (s Summary) Figure(name string) int {
	for _, f := range s.Figures {
		if f.Name == name {
			return f.Value
		}
	}
	return 0
}

// ServiceSpec is one loop an engine registers: the agent runs Run at start, then every Every after a
// success, sooner after a failure (5 s doubling up to Every), and at once when kicked.
type ServiceSpec struct {
	Name    string // for people and logs: "Rave pull ALPHA(Prod)"
	Engine  string // the registering engine's Name
	Subject string // what it works on (a study OID), "" when it is the engine's only service
	// Remote is the remote system the service talks to (see RemoteState), "" for none: its runs tell
	// the snapshot whether that remote answers.
	Remote string
	// Credentials are the keyring entries the service needs. After it stopped on a fatal error,
	// setting one of them (Agent.SetCredential) starts it again.
	Credentials []string
	Every       time.Duration // between runs after a success
	// RetryAfter is the first wait after a failure (5 s when zero); each further failure doubles it, up
	// to Every, with ±20 % jitter so that services failing together do not retry together.
	RetryAfter time.Duration
	Run        Step
	// Queue, when set, counts the service's queue by state after each run (an outbound queue's
	// pending, held, dead messages); it runs on the service's goroutine, so it may read the store.
	Queue func(ctx context.Context) ([]Figure, error)
}

// ServiceState is one service as the GUI and the CLI show it.
type ServiceState struct {
	Name, Engine, Subject, Remote string

	Running   bool
	Runs      int       // completed runs, failed ones included
	LastStart time.Time // of the run in progress or the last one
	LastEnd   time.Time
	NextRun   time.Time // zero while running, waiting for the remote, or stopped
	Last      Summary   // what the last completed run did (a failed one may have done part)
	// Err is the last run's failure in words, secrets redacted; "" after a success.
	Err string
	// Offline says the service waits for its remote to answer again; it spends nothing meanwhile.
	Offline bool
	// Stopped says the service stopped on a fatal error (Err says why) and is not retried. Hint, when
	// set, says what starts it again.
	Stopped bool
	Hint    string
	Queue   []Figure // the queue by state after the last run, for services that keep one
}

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
