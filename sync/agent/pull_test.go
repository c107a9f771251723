package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/ravepull"
	"github.com/trialsync/trialsync/sync/rws"
	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

func startRWS(t *testing.T, opts simrws.Options) *simrws.Server {
	t.Helper()
	s, err := simrws.Start("127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// raveConfig configures the Rave pull of the given studies against url, polling hourly.
func raveConfig(url string, studies ...string) string {
	body := fmt.Sprintf("[rave]\nurl = %q\nauth = \"basic\"\nuser = \"rws.integration\"\npoll = \"1h\"\n", url)
	for _, s := range studies {
		body += fmt.Sprintf("\n[[rave.study]]\noid = %q\n", s)
	}
	return body
}

// pullAgent opens an agent configured for the simulator, with password in the (mock) keyring unless "".
func pullAgent(t *testing.T, s *simrws.Server, password string, studies ...string) *Agent {
	t.Helper()
	if len(studies) == 0 {
		studies = []string{"ALPHA(Prod)"}
	}
	a := openAgent(t, raveConfig(s.URL(), studies...), nil)
	if password != "" {
		if err := a.SetCredential(t.Context(), "rave.password", password); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

const alpha = "Rave pull ALPHA(Prod)"

// TestPullServicePollsAndKicks: the service pulls at start; with an hour's interval only a kick
// brings a second run, which finds what was entered since; the snapshot shows the remote online and
// the audit trail grown; cancelling ends Run without error.
func TestPullServicePollsAndKicks(t *testing.T) {
	s := startRWS(t, simrws.Options{Seed: 2, Visible: 100})
	a := pullAgent(t, s, "sim-password")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, StartOptions{}) }()

	snap := waitState(t, a, "a first pull", func(s Snapshot) bool { return len(s.Services) == 1 && s.Services[0].Runs == 1 })
	first := serviceNamed(t, snap, alpha)
	if first.Err != "" || first.Last.Figure("rows") == 0 || first.Subject != "ALPHA(Prod)" || first.Engine != EngineRavePull ||
		first.NextRun.Before(time.Now().Add(50*time.Minute)) {
		t.Fatalf("first run %+v", first)
	}
	if r, ok := snap.Remote(RemoteRave); !ok || r.Status != RemoteOnline || r.URL != s.URL() {
		t.Errorf("remote after a pull: %+v", snap.Remotes)
	}
	if e, ok := snap.Engine(EngineRavePull); !ok || !e.Configured {
		t.Errorf("engines %+v", snap.Engines)
	}
	if snap.Audit.Entries < 3 || snap.Audit.Tip == "" {
		t.Errorf("audit after a pull: %+v", snap.Audit)
	}
	s.Advance(s.TotalRecords())
	a.Kick(EngineRavePull)
	snap = waitState(t, a, "a kicked pull", func(s Snapshot) bool { return s.Services[0].Runs == 2 })
	if second := snap.Services[0]; second.Err != "" || second.Last.Figure("written") == 0 {
		t.Fatalf("kicked run found nothing new: %+v", second)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
}

// TestCredentialRejectedStopsUntilReplaced: a refused password stops the pull with "credential
// rejected" (no secret in it) and no further request reaches Rave; setting the right password starts
// it again at once, with a client built on the new secret.
func TestCredentialRejectedStopsUntilReplaced(t *testing.T) {
	s := startRWS(t, simrws.Options{Seed: 2})
	a := pullAgent(t, s, "not-the-password")
	startAgent(t, a)
	snap := waitState(t, a, "stopped", func(s Snapshot) bool { return len(s.Services) == 1 && s.Services[0].Stopped })
	got := snap.Services[0]
	if !strings.HasPrefix(got.Err, "credential rave.password rejected: ") || !strings.Contains(got.Err, "RWS00008") ||
		strings.Contains(got.Err, "not-the-password") || !strings.Contains(got.Hint, "trialsync creds set rave.password") {
		t.Fatalf("stopped pull: %+v", got)
	}
	if !got.NextRun.IsZero() {
		t.Errorf("a stopped pull has its next run at %s", got.NextRun)
	}
	requests := s.Requests()
	a.Kick(EngineRavePull) // not a way around the stop
	if err := a.SetCredential(t.Context(), "rave.password", "sim-password"); err != nil {
		t.Fatal(err)
	}
	snap = waitState(t, a, "pulling again", func(s Snapshot) bool { return s.Services[0].Runs == 2 })
	if got := snap.Services[0]; got.Err != "" || got.Stopped || got.Last.Figure("rows") == 0 {
		t.Fatalf("after the password was replaced: %+v", got)
	}
	if s.Requests() <= requests {
		t.Error("no request reached Rave after the password was replaced")
	}
}

// TestMissingCredentialEndsRun: headless, a pull whose password is not in the keyring stops, and with
// nothing else running Run ends with the contract's message.
func TestMissingCredentialEndsRun(t *testing.T) {
	s := startRWS(t, simrws.Options{Seed: 2})
	a := pullAgent(t, s, "")
	err := a.Run(t.Context(), StartOptions{})
	if !errors.Is(err, store.ErrSecretNotFound) || !strings.Contains(err.Error(), "credential rave.password not set (trialsync creds set rave.password)") {
		t.Fatalf("Run without the password: %v", err)
	}
	if s.Requests() != 0 {
		t.Errorf("%d requests reached Rave without a password", s.Requests())
	}
}

// TestOneRaveClient: every study's service and a one-off pull share one client (one breaker, one
// rate limit); a new password builds a new one.
func TestOneRaveClient(t *testing.T) {
	s := startRWS(t, simrws.Options{Seed: 2})
	a := pullAgent(t, s, "sim-password", "ALPHA(Prod)", "BETA(Prod)")
	var builds atomic.Int32
	clients := map[*rws.Client]bool{}
	build := a.rave.build
	a.rave.build = func(ctx context.Context) (*rws.Client, string, error) {
		builds.Add(1)
		c, url, err := build(ctx)
		clients[c] = true // under the remote's lock
		return c, url, err
	}
	startAgent(t, a)
	waitState(t, a, "both studies pulled", func(s Snapshot) bool {
		return len(s.Services) == 2 && s.Services[0].Runs == 1 && s.Services[1].Runs == 1
	})
	if _, err := a.Pull(t.Context(), PullOptions{Study: "ALPHA(Prod)"}); err != nil {
		t.Fatal(err)
	}
	if n := builds.Load(); n != 1 {
		t.Fatalf("%d clients built for two services and a pull, want 1", n)
	}
	if err := a.SetCredential(t.Context(), "rave.password", "sim-password"); err != nil {
		t.Fatal(err)
	}
	a.Kick(EngineRavePull)
	waitState(t, a, "pulled again", func(s Snapshot) bool { return s.Services[0].Runs == 2 && s.Services[1].Runs == 2 })
	if n := builds.Load(); n != 2 || len(clients) != 2 {
		t.Fatalf("%d builds (%d clients) after the password was set again, want a second one", n, len(clients))
	}
}

// TestPullScope: Start with a scope runs only the named study's pull, of only the named feed.
func TestPullScope(t *testing.T) {
	s := startRWS(t, simrws.Options{Seed: 2})
	a := pullAgent(t, s, "sim-password", "ALPHA(Prod)", "BETA(Prod)")
	if err := a.Start(t.Context(), StartOptions{Engines: []string{EngineRavePull},
		Scope: Scope{Study: "ALPHA(Prod)", Site: "101", Feed: ravepull.FeedAudit}}); err != nil {
		t.Fatal(err)
	}
	defer a.Stop()
	snap := waitState(t, a, "pulled", func(s Snapshot) bool { return len(s.Services) == 1 && s.Services[0].Runs == 1 })
	if got := snap.Services[0]; got.Name != "Rave pull ALPHA(Prod) site 101 (audit)" || got.Err != "" {
		t.Fatalf("scoped service %+v", got)
	}
	db, err := a.Store(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(t.Context(), func(tx *store.Tx) error {
		for _, c := range []struct {
			site, feed string
			want       bool
		}{{"101", ravepull.FeedAudit, true}, {"101", ravepull.FeedDataset, false}, {"", ravepull.FeedAudit, false}} {
			if _, ok, err := tx.Cursor("ALPHA(Prod)", c.site, c.feed); err != nil || ok != c.want {
				t.Errorf("cursor of site %q feed %s stored = %v (%v), want %v", c.site, c.feed, ok, err, c.want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	a.Stop()
	for _, sc := range []Scope{{Study: "GAMMA(Prod)"}, {Feed: "both"}} {
		if err := a.Start(t.Context(), StartOptions{Scope: sc}); err == nil {
			a.Stop()
			t.Errorf("Start with scope %+v started", sc)
		}
	}
}

// TestResetCursor: the agent forgets a study's position with a reason (required), refuses while that
// study is being pulled, and the next pull reads the feed from the beginning.
func TestResetCursor(t *testing.T) {
	s := startRWS(t, simrws.Options{Seed: 2})
	a := pullAgent(t, s, "sim-password")
	if _, err := a.Pull(t.Context(), PullOptions{}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		r   CursorReset
		err string
	}{
		{CursorReset{Study: "ALPHA(Prod)", Reason: "  "}, "a reason is required"},
		{CursorReset{Reason: "r"}, "name the study"},
		{CursorReset{Study: "GAMMA(Prod)", Reason: "r"}, `no configured study matches --study "GAMMA(Prod)"`},
		{CursorReset{Study: "ALPHA(Prod)", Feed: "both", Reason: "r"}, `feed "both"`},
	}
	for _, tc := range cases {
		if _, err := a.ResetCursor(t.Context(), tc.r); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ResetCursor(%+v): %v, want %q", tc.r, err, tc.err)
		}
	}
	unlock, _ := a.studies.tryLock("ALPHA(Prod)") // as a running pull holds it
	_, err := a.ResetCursor(t.Context(), CursorReset{Study: "ALPHA(Prod)", Reason: "r"})
	unlock()
	if err == nil || !strings.Contains(err.Error(), "ALPHA(Prod) is being pulled now") {
		t.Fatalf("reset during a pull: %v", err)
	}

	out, err := a.ResetCursor(t.Context(), CursorReset{Study: "ALPHA(Prod)", Feed: ravepull.FeedAudit, Reason: "link refused after the move"})
	if err != nil || len(out) != 1 || !out[0].Reset || out[0].Old == "" || out[0].Feed != ravepull.FeedAudit {
		t.Fatalf("reset: %+v %v", out, err)
	}
	entries, err := a.AuditEntries(t.Context(), 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if e := entries[len(entries)-1]; e.Action != store.ActionCursorReset || e.Reason != "link refused after the move" || e.Actor != a.actor {
		t.Fatalf("last audit entry %+v", e)
	}
	res, err := a.Pull(t.Context(), PullOptions{Feed: ravepull.FeedAudit})
	if err != nil || res[0].Pages == 0 || res[0].Written != 0 {
		t.Fatalf("pull after the reset: %+v %v: want every page read again, nothing changed", res, err)
	}
}

// TestPullOfflineResumesByItself: with Rave unreachable (nothing listens on its port) the pull service
// is marked offline within seconds, spends no retries, and the remote shows offline in the snapshot;
// when a server starts answering on that port, the service pulls again by itself, with no kick.
func TestPullOfflineResumesByItself(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // connections to addr are now refused
	a := openAgent(t, raveConfig("http://"+addr+"/RaveWebServices", "ALPHA(Prod)"), nil)
	if err := a.SetCredential(t.Context(), "rave.password", "sim-password"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if err := a.Start(ctx, StartOptions{}); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	snap := waitState(t, a, "offline", func(s Snapshot) bool {
		r, ok := s.Remote(RemoteRave)
		return ok && r.Status == RemoteOffline && serviceNamed(t, s, alpha).Offline
	})
	t.Logf("offline after %s: %+v", time.Since(began), snap.Services)
	if st := serviceNamed(t, snap, alpha); st.Stopped || st.Runs != 1 {
		t.Fatalf("offline service: %+v", st)
	}
	s, err := simrws.Start(addr, simrws.Options{Seed: 2, Visible: 100})
	if err != nil {
		t.Fatalf("starting the simulator on the refused port: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	snap = waitState(t, a, "a run after the remote came back", func(s Snapshot) bool {
		st := serviceNamed(t, s, alpha)
		return st.Runs >= 2 && st.Err == "" && !st.Offline
	})
	if r, _ := snap.Remote(RemoteRave); r.Status != RemoteOnline {
		t.Fatalf("remote after it answered again: %+v", r)
	}
	if st := serviceNamed(t, snap, alpha); st.Last.Figure("rows") == 0 {
		t.Fatalf("the resumed run pulled nothing: %+v", st)
	}
	a.Stop()
	if err := a.Wait(); err != nil {
		t.Fatalf("Wait: %v", err)
	}
}
