package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/trialsync/trialsync/sync/config"
)

// Unit tests use go-keyring's mock; the CLI's tests cover the real Secret Service.
func TestMain(m *testing.M) {
	keyring.MockInit()
	os.Exit(m.Run())
}

// testWait bounds waits on the agent's goroutines; it only keeps a broken build from hanging.
const testWait = 30 * time.Second

// openAgent opens an agent on a fresh store with the given configuration file body ("" for no file)
// and engine registry (nil for the agent's own).
func openAgent(t *testing.T, config string, engines []Engine) *Agent {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	if config != "" {
		if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	a, err := Open(t.Context(), Options{StorePath: filepath.Join(dir, "s.db"), ConfigPath: cfg, LogDir: filepath.Join(dir, "logs"),
		KeyringService: fmt.Sprintf("agent-test-%d", time.Now().UnixNano()), Engines: engines})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// noRave is a configuration that loads but configures no engine of the agent's own.
const noRave = "[sureadhere]\nurl = \"https://sureadhere.example.org\"\nregimens = { \"Arm A\" = \"Group 1\" }\n"

// waitState waits until ok accepts the agent's snapshot, and returns that snapshot.
func waitState(t *testing.T, a *Agent, what string, ok func(Snapshot) bool) Snapshot {
	t.Helper()
	changed, end := a.Subscribe()
	defer end()
	deadline := time.After(testWait)
	for {
		snap := a.Snapshot()
		if ok(snap) {
			return snap
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("never %s: %+v", what, snap)
		}
	}
}

// serviceNamed returns the one service in snap named name.
func serviceNamed(t *testing.T, snap Snapshot, name string) ServiceState {
	t.Helper()
	for _, s := range snap.Services {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no service %q in %+v", name, snap.Services)
	return ServiceState{}
}

// stepper is a scripted Step: each call takes the next answer (the last one repeats) and counts.
type stepper struct {
	mu      sync.Mutex
	answers []error
	calls   int
}

func (s *stepper) run(ctx context.Context) (Summary, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	err := s.answers[min(s.calls, len(s.answers))-1]
	return Summary{Text: fmt.Sprintf("run %d", s.calls), Figures: []Figure{{"run", s.calls}}}, err
}

func (s *stepper) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// testEngine registers the given services under the engine "test", always configured.
func testEngine(specs ...ServiceSpec) []Engine {
	return []Engine{{Name: "test", Title: "Test", Section: "[test]",
		Configured: func(*config.Config) bool { return true },
		Services: func(*Agent, *config.Config, Scope) ([]ServiceSpec, error) {
			return specs, nil
		}}}
}

func startAgent(t *testing.T, a *Agent) {
	t.Helper()
	if err := a.Start(t.Context(), StartOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Stop)
}

var errUnavailable = errors.New("503 Service Unavailable")

// TestServiceRetriesThenRecovers: a retryable failure is retried after the backoff (here 1 ms, far
// below the hour's interval), its text shown meanwhile; the success that follows clears it and
// schedules the next run an interval away.
func TestServiceRetriesThenRecovers(t *testing.T) {
	st := &stepper{answers: []error{errUnavailable, errUnavailable, nil}}
	a := openAgent(t, noRave, testEngine(ServiceSpec{Name: "flaky", Engine: "test", Every: time.Hour,
		RetryAfter: time.Millisecond, Run: st.run}))
	startAgent(t, a)
	snap := waitState(t, a, "recovered", func(s Snapshot) bool { return len(s.Services) == 1 && s.Services[0].Runs == 3 })
	got := serviceNamed(t, snap, "flaky")
	if got.Err != "" || got.Stopped || got.Offline || got.Last.Text != "run 3" || got.Last.Figure("run") != 3 {
		t.Fatalf("after the recovery: %+v", got)
	}
	if wait := time.Until(got.NextRun); wait < 50*time.Minute {
		t.Fatalf("next run in %s after a success, want the hour's interval", wait)
	}
	if n := st.count(); n != 3 {
		t.Fatalf("%d runs, want 3", n)
	}
}

// TestServiceFailureShowsAndBacksOff: a failed run's text is in the state, and its next run is the
// first backoff away (5 s ± 20 %), not the interval.
func TestServiceFailureShowsAndBacksOff(t *testing.T) {
	st := &stepper{answers: []error{errUnavailable}}
	a := openAgent(t, noRave, testEngine(ServiceSpec{Name: "down", Engine: "test", Every: time.Hour, Run: st.run}))
	startAgent(t, a)
	snap := waitState(t, a, "failed once", func(s Snapshot) bool {
		return len(s.Services) == 1 && s.Services[0].Runs == 1 && !s.Services[0].NextRun.IsZero()
	})
	got := snap.Services[0]
	if got.Err != "503 Service Unavailable" || got.Stopped {
		t.Fatalf("failed run: %+v", got)
	}
	if wait := got.NextRun.Sub(got.LastEnd); wait < 3*time.Second || wait > 7*time.Second {
		t.Fatalf("retry %s after the failure, want about 5 s", wait)
	}
}

// TestServiceFatalStopsUntilCredentialSet: a fatal error stops the service with its reason; a kick
// does not run it; setting a credential it does not use changes nothing; setting the one it uses
// starts it again.
func TestServiceFatalStopsUntilCredentialSet(t *testing.T) {
	st := &stepper{answers: []error{Fatal(errors.New("the tenant refused the configuration")), nil}}
	a := openAgent(t, noRave, testEngine(ServiceSpec{Name: "strict", Engine: "test", Every: time.Hour,
		RetryAfter: time.Millisecond, Credentials: []string{"test.token"}, Run: st.run}))
	startAgent(t, a)
	snap := waitState(t, a, "stopped", func(s Snapshot) bool { return len(s.Services) == 1 && s.Services[0].Stopped })
	got := snap.Services[0]
	if got.Err != "the tenant refused the configuration" || !got.NextRun.IsZero() || !strings.Contains(got.Hint, "test.token") {
		t.Fatalf("stopped service: %+v", got)
	}
	a.Kick("test")
	if err := a.SetCredential(t.Context(), "other.token", "x"); err != nil {
		t.Fatal(err)
	}
	if err := a.SetCredential(t.Context(), "test.token", "y"); err != nil {
		t.Fatal(err)
	}
	waitState(t, a, "started again", func(s Snapshot) bool { return s.Services[0].Runs == 2 && s.Services[0].Err == "" })
	if n := st.count(); n != 2 {
		t.Fatalf("%d runs: the kick or the unrelated credential ran a stopped service", n)
	}
}

// offlineErr is a remote that cannot be reached; Ready tells asked when the loop starts waiting on it.
type offlineErr struct {
	ready chan struct{}
	asked chan struct{}
	once  *sync.Once
}

func (e offlineErr) Error() string { return "dial tcp 127.0.0.1:9: connection refused" }
func (e offlineErr) Ready() <-chan struct{} {
	e.once.Do(func() { close(e.asked) })
	return e.ready
}

// TestServiceWaitsForOfflineRemote: an offline remote is waited for, not retried: the service shows
// it offline with no next run, and runs again as soon as the remote is ready.
func TestServiceWaitsForOfflineRemote(t *testing.T) {
	down := offlineErr{ready: make(chan struct{}), asked: make(chan struct{}), once: new(sync.Once)}
	st := &stepper{answers: []error{down, nil}}
	a := openAgent(t, noRave, testEngine(ServiceSpec{Name: "remote", Engine: "test", Remote: "rave", Every: time.Hour,
		RetryAfter: time.Millisecond, Run: st.run}))
	startAgent(t, a)
	select {
	case <-down.asked:
	case <-time.After(testWait):
		t.Fatal("the service never waited on the remote's Ready")
	}
	snap := waitState(t, a, "offline", func(s Snapshot) bool { return s.Services[0].Offline })
	if got := snap.Services[0]; !got.NextRun.IsZero() || got.Stopped || got.Runs != 1 {
		t.Fatalf("waiting for the remote: %+v", got)
	}
	if n := st.count(); n != 1 {
		t.Fatalf("%d runs while the remote was offline, want 1", n)
	}
	close(down.ready)
	waitState(t, a, "back online", func(s Snapshot) bool { return s.Services[0].Runs == 2 && !s.Services[0].Offline })
}

// TestServicePanicIsFatal: a run that panics stops its service with an internal error, once.
func TestServicePanicIsFatal(t *testing.T) {
	var calls atomic.Int32
	a := openAgent(t, noRave, testEngine(ServiceSpec{Name: "buggy", Engine: "test", Every: time.Hour, RetryAfter: time.Millisecond,
		Run: func(context.Context) (Summary, error) {
			calls.Add(1)
			panic("index out of range")
		}}))
	startAgent(t, a)
	snap := waitState(t, a, "stopped", func(s Snapshot) bool { return len(s.Services) == 1 && s.Services[0].Stopped })
	if got := snap.Services[0].Err; !strings.Contains(got, "internal error") || !strings.Contains(got, "index out of range") {
		t.Fatalf("error %q", got)
	}
	if calls.Load() != 1 {
		t.Fatalf("%d runs of a panicking step", calls.Load())
	}
}

// TestKickRunsAtOnce: with an hour's interval, only a kick brings a second run; kicking one engine
// leaves another's services alone.
func TestKickRunsAtOnce(t *testing.T) {
	one, two := &stepper{answers: []error{nil}}, &stepper{answers: []error{nil}}
	engines := append(testEngine(ServiceSpec{Name: "one", Engine: "test", Every: time.Hour, Run: one.run}),
		Engine{Name: "other", Title: "Other", Section: "[other]", Configured: func(*config.Config) bool { return true },
			Services: func(*Agent, *config.Config, Scope) ([]ServiceSpec, error) {
				return []ServiceSpec{{Name: "two", Engine: "other", Every: time.Hour, Run: two.run}}, nil
			}})
	a := openAgent(t, noRave, engines)
	startAgent(t, a)
	waitState(t, a, "first runs", func(s Snapshot) bool {
		return len(s.Services) == 2 && s.Services[0].Runs == 1 && s.Services[1].Runs == 1
	})
	a.Kick("test")
	waitState(t, a, "kicked run", func(s Snapshot) bool { return serviceNamed(t, s, "one").Runs == 2 })
	a.Kick("")
	waitState(t, a, "both kicked", func(s Snapshot) bool {
		return serviceNamed(t, s, "one").Runs == 3 && serviceNamed(t, s, "two").Runs == 2
	})
}

// TestStartStopWait: Wait returns at once before Start; a second Start while running is refused;
// Stop ends the services (twice is harmless); a later Start runs afresh.
func TestStartStopWait(t *testing.T) {
	st := &stepper{answers: []error{nil}}
	a := openAgent(t, noRave, testEngine(ServiceSpec{Name: "s", Engine: "test", Every: time.Hour, Run: st.run}))
	if err := a.Wait(); err != nil {
		t.Fatal(err)
	}
	a.Stop() // nothing started: nothing to do
	if err := a.Start(t.Context(), StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := a.Start(t.Context(), StartOptions{}); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("second Start: %v", err)
	}
	waitState(t, a, "ran", func(s Snapshot) bool { return s.Running && s.Services[0].Runs == 1 })
	a.Stop()
	a.Stop()
	if err := a.Wait(); err != nil {
		t.Fatal(err)
	}
	if s := a.Snapshot(); s.Running || s.Services[0].Running {
		t.Fatalf("after Stop: %+v", s)
	}
	if err := a.Start(t.Context(), StartOptions{}); err != nil {
		t.Fatal(err)
	}
	waitState(t, a, "ran afresh", func(s Snapshot) bool { return s.Running && s.Services[0].Runs == 1 && st.count() == 2 })
	a.Stop()
}

// TestRunEndsWhenEveryServiceStopped: headless, nothing can change once every service has stopped on
// a fatal error, so Run ends with their errors; one service still running keeps it going.
func TestRunEndsWhenEveryServiceStopped(t *testing.T) {
	bad := errors.New("audit key gone")
	a := openAgent(t, noRave, testEngine(
		ServiceSpec{Name: "a", Engine: "test", Every: time.Hour, Run: (&stepper{answers: []error{Fatal(bad)}}).run},
		ServiceSpec{Name: "b", Engine: "test", Every: time.Hour, Run: (&stepper{answers: []error{Fatal(bad)}}).run}))
	err := a.Run(t.Context(), StartOptions{})
	if !errors.Is(err, bad) || !strings.Contains(err.Error(), "a: audit key gone") || !strings.Contains(err.Error(), "b: audit key gone") {
		t.Fatalf("Run: %v", err)
	}

	b := openAgent(t, noRave, testEngine(
		ServiceSpec{Name: "a", Engine: "test", Every: time.Hour, Run: (&stepper{answers: []error{Fatal(bad)}}).run},
		ServiceSpec{Name: "b", Engine: "test", Every: time.Hour, Run: (&stepper{answers: []error{nil}}).run}))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx, StartOptions{}) }()
	waitState(t, b, "one stopped, one ran", func(s Snapshot) bool {
		return len(s.Services) == 2 && serviceNamed(t, s, "a").Stopped && serviceNamed(t, s, "b").Runs == 1
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
}

// TestStartProblems: what Start says, and what the snapshot shows, for each configuration.
func TestStartProblems(t *testing.T) {
	cases := []struct {
		name, config string
		engines      []Engine
		err          string // contained in Start's error
		problem      string // contained in the snapshot's Problem; "" for none
		configured   bool
	}{
		{name: "no configuration file", err: "not found"},
		{name: "no engine's section", config: noRave, err: "nothing to run: configure [rave] with at least one [[rave.study]]"},
		{name: "bad file", config: "[rave]\nurl = 3\n", err: "config.toml:2: ", problem: "config.toml:2: "},
		{name: "engine refuses", config: noRave, configured: true, err: "Test: no such study", problem: "Test: no such study",
			engines: []Engine{{Name: "test", Title: "Test", Section: "[test]", Configured: func(*config.Config) bool { return true },
				Services: func(*Agent, *config.Config, Scope) ([]ServiceSpec, error) { return nil, errors.New("no such study") }}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := openAgent(t, tc.config, tc.engines)
			err := a.Start(t.Context(), StartOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("Start: %v, want %q", err, tc.err)
			}
			snap := a.Snapshot()
			if (tc.problem == "") != (snap.Problem == "") || !strings.Contains(snap.Problem, tc.problem) {
				t.Errorf("problem %q, want %q", snap.Problem, tc.problem)
			}
			engines := len(defaultEngines())
			if tc.engines != nil {
				engines = len(tc.engines)
			}
			if snap.Running || len(snap.Services) != 0 || len(snap.Engines) != engines {
				t.Errorf("snapshot %+v", snap)
			}
			for _, e := range snap.Engines {
				if e.Configured != tc.configured {
					t.Errorf("engine %s configured %v, want %v", e.Name, e.Configured, tc.configured)
				}
			}
		})
	}
}
