package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/thejerf/suture/v4"
	"github.com/trialsync/trialsync/sync/ravepull"
)

// Run starts the agent's engines as supervised services (one Rave pull per configured study; later
// engines join the same tree) and blocks until ctx ends. A service that panics or fails is restarted
// by the supervisor with backoff; a failed pull is recorded in its state and retried sooner than the
// poll interval. The CLI's `pull` and the GUI start the same tree.
func (a *Agent) Run(ctx context.Context) error {
	cfg, err := a.Config()
	if err != nil {
		return err
	}
	sup := suture.New("trialsync", suture.Spec{EventHook: func(ev suture.Event) {
		a.log.Warn().Str("event", ev.String()).Msg("service supervisor")
	}})
	a.stateMu.Lock()
	a.pulls = nil // a second Run (after the first ended) starts afresh
	a.stateMu.Unlock()
	n := 0
	if cfg.Rave != nil {
		eng, studies, err := a.pullEngine(ctx, PullOptions{})
		if err != nil {
			return err
		}
		for _, st := range studies {
			sup.Add(a.newPullService(eng, st, cfg.Rave.Poll))
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("%s: nothing to run: configure [rave] with at least one [[rave.study]]", cfg.Path)
	}
	err = sup.Serve(ctx)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}

// PullState is one study's pull as the GUI and `pull` show it.
type PullState struct {
	Study     string
	Running   bool
	Runs      int // completed runs, failed ones included
	LastStart time.Time
	LastEnd   time.Time
	Last      ravepull.Result
	Err       string // the last run's failure, "" after a success
	NextRun   time.Time
}

// PullStates returns the state of every pull service, in configuration order.
func (a *Agent) PullStates() []PullState {
	a.stateMu.Lock()
	defer a.stateMu.Unlock()
	out := make([]PullState, len(a.pulls))
	for i, s := range a.pulls {
		out[i] = s.state
	}
	return out
}

// Changed delivers a signal after any service state changes; one pending signal at most, so a slow
// reader sees the latest state, not a backlog.
func (a *Agent) Changed() <-chan struct{} { return a.changed }

// PullNow asks every pull service to run at once (a "Pull now" button); it never blocks.
func (a *Agent) PullNow() {
	a.stateMu.Lock()
	defer a.stateMu.Unlock()
	for _, s := range a.pulls {
		select {
		case s.kick <- struct{}{}:
		default: // a run is already asked for
		}
	}
}

func (a *Agent) notify() {
	select {
	case a.changed <- struct{}{}:
	default:
	}
}

// pullService polls one study: at start, every interval, and when kicked. Failures back off from 5 s
// up to the interval, so an outage pauses polling instead of hammering the tenant.
type pullService struct {
	a     *Agent
	eng   *ravepull.Engine
	study ravepull.Study
	every time.Duration
	kick  chan struct{}
	state PullState // guarded by a.stateMu
}

func (a *Agent) newPullService(eng *ravepull.Engine, st ravepull.Study, every time.Duration) *pullService {
	s := &pullService{a: a, eng: eng, study: st, every: every, kick: make(chan struct{}, 1), state: PullState{Study: st.OID}}
	a.stateMu.Lock()
	a.pulls = append(a.pulls, s)
	a.stateMu.Unlock()
	return s
}

func (s *pullService) String() string { return "pull " + s.study.OID }

// Serve is the service's one select loop.
func (s *pullService) Serve(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	var backoff time.Duration
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		case <-s.kick:
			timer.Stop()
		}
		s.update(func(st *PullState) { st.Running, st.LastStart = true, time.Now() })
		res, err := s.eng.Pull(ctx, s.study)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		next := s.every
		if err != nil {
			backoff = min(max(backoff*2, 5*time.Second), s.every)
			next = backoff
			s.a.log.Error().Err(err).Str("study", s.study.OID).Dur("retry_in", next).Msg("pull failed")
		} else {
			backoff = 0
		}
		s.update(func(st *PullState) {
			st.Running, st.LastEnd, st.Last, st.Runs, st.NextRun = false, time.Now(), res, st.Runs+1, time.Now().Add(next)
			st.Err = ""
			if err != nil {
				st.Err = s.a.Redact(err.Error())
			}
		})
		timer.Reset(next)
	}
}

func (s *pullService) update(fn func(*PullState)) {
	s.a.stateMu.Lock()
	fn(&s.state)
	s.a.stateMu.Unlock()
	s.a.notify()
}
