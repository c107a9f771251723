package agent

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/trialsync/trialsync/store"
	simrws "github.com/trialsync/trialsync/sync/sim/rws"
	simsureadhere "github.com/trialsync/trialsync/sync/sim/sureadhere"
)

// subjectsConfig configures the Rave pull of ALPHA(Prod) with its arm item, and SureAdhere at url.
func subjectsConfig(raveURL, saURL string) string {
	return fmt.Sprintf("[rave]\nurl = %q\nauth = \"basic\"\nuser = \"rws.integration\"\npoll = \"1h\"\n\n"+
		"[[rave.study]]\noid = \"ALPHA(Prod)\"\narm_item = \"RAND.ARM\"\n\n"+
		"[sureadhere]\nurl = %q\nregimens = { \"Arm A\" = \"Group 1\", \"Arm B\" = \"Group 2\" }\n", raveURL, saURL)
}

// subjectsAgent pulls ALPHA(Prod) from an RWS simulator once, then configures SureAdhere at saURL
// with token in the (mock) keyring. It returns the agent and the arm of every subject, read back from
// the RWS simulator.
func subjectsAgent(t *testing.T, saURL, token string) (*Agent, map[string]string) {
	t.Helper()
	rws := startRWS(t, simrws.Options{Seed: 4, SubjectsPerSite: 3, Visits: 1})
	a := openAgent(t, subjectsConfig(rws.URL(), saURL), nil)
	for name, secret := range map[string]string{"rave.password": "sim-password", SureAdhereCredential: token} {
		if err := a.SetCredential(t.Context(), name, secret); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Pull(t.Context(), PullOptions{}); err != nil {
		t.Fatal(err)
	}
	arms := map[string]string{}
	for _, s := range rws.Subjects() {
		v, _, ok := rws.Value(simrws.ItemKey{Subject: s, Event: "SCREEN", Form: "RAND", ItemGroup: "RAND", Item: "RAND.ARM"})
		if ok && v != "" {
			arms[s] = v
		}
	}
	if len(arms) == 0 {
		t.Fatal("the RWS simulator randomized no subject")
	}
	return a, arms
}

// startSubjects starts the subject push's services: discovery and the send service.
func startSubjects(t *testing.T, a *Agent) {
	t.Helper()
	if err := a.Start(t.Context(), StartOptions{Engines: []string{EngineSubjects, EngineSend}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Stop)
}

// TestSubjectPushService: the agent's subject service sends every subject the pull found randomized,
// once, with its arm's regimen; its state counts them; the remote shows online; a second run sends
// nothing.
func TestSubjectPushService(t *testing.T) {
	sa := startSA(t, "")
	a, arms := subjectsAgent(t, sa.URL(), sa.Options().Token)
	startSubjects(t, a)
	snap := waitState(t, a, "subjects pushed", func(s Snapshot) bool {
		p := SubjectPushOf(s)
		return p.Discovery != nil && p.Send != nil && p.Queue.Done == len(arms) && p.Subjects == len(arms)
	})
	p := SubjectPushOf(snap)
	if !p.Configured || p.Discovery.Err != "" || p.Discovery.Last.Figure("queued") != len(arms) || p.Send.Err != "" ||
		p.Send.Remote != RemoteSureAdhere || p.NeedPerson() != 0 {
		t.Fatalf("subject push %+v, discovery %+v, send %+v", p, *p.Discovery, *p.Send)
	}
	if r, ok := snap.Remote(RemoteSureAdhere); !ok || r.Status != RemoteOnline || r.URL != sa.URL() {
		t.Fatalf("remote %+v", snap.Remotes)
	}
	regimen := map[string]string{"Arm A": "Group 1", "Arm B": "Group 2"}
	got := sa.Patients()
	if len(got) != len(arms) {
		t.Fatalf("SureAdhere holds %d patients, Rave randomized %d", len(got), len(arms))
	}
	for _, p := range got {
		if p.Regimen != regimen[arms[p.MRN]] || !strings.HasPrefix(p.MRN, p.SiteCode+"-") {
			t.Errorf("patient %+v: Rave's arm is %q", p, arms[p.MRN])
		}
	}
	ingests := sa.Count("ingest")
	a.Kick(EngineSubjects)
	waitState(t, a, "a second run", func(s Snapshot) bool { d := SubjectPushOf(s).Discovery; return d.Runs >= 2 && !d.Running })
	if d := SubjectPushOf(a.Snapshot()).Discovery; d.Last.Figure("queued") != 0 {
		t.Fatalf("the second discovery queued %d", d.Last.Figure("queued"))
	}
	if sa.Count("ingest") != ingests {
		t.Fatalf("the second run sent %d more", sa.Count("ingest")-ingests)
	}
}

// TestSubjectTokenRefusedStopsUntilReplaced: SureAdhere's 400 for a bad token stops the service with
// "credential sureadhere.token rejected" and what to do, without the token in it; setting the token
// starts it again and the subjects go.
func TestSubjectTokenRefusedStopsUntilReplaced(t *testing.T) {
	sa := startSA(t, "")
	a, arms := subjectsAgent(t, sa.URL(), "not-the-token")
	startSubjects(t, a)
	snap := waitState(t, a, "stopped", func(s Snapshot) bool { p := SubjectPushOf(s); return p.Send != nil && p.Send.Stopped })
	st := SubjectPushOf(snap).Send
	if !strings.HasPrefix(st.Err, "credential sureadhere.token rejected: ") || !strings.Contains(st.Err, "Invalid MRNIntegrationToken.") ||
		strings.Contains(st.Err, "not-the-token") || !strings.Contains(st.Hint, "trialsync creds set sureadhere.token") {
		t.Fatalf("stopped service %+v", st)
	}
	if err := a.SetCredential(t.Context(), SureAdhereCredential, sa.Options().Token); err != nil {
		t.Fatal(err)
	}
	waitState(t, a, "pushed after the new token", func(s Snapshot) bool {
		p := SubjectPushOf(s)
		return !p.Send.Stopped && p.Queue.Done == len(arms)
	})
	if len(sa.Patients()) != len(arms) {
		t.Fatalf("%d patients, want %d", len(sa.Patients()), len(arms))
	}
}

// TestSubjectPushWaitsForSureAdhere: with nothing listening at SureAdhere's address the service waits
// (offline, the subjects held, no attempt spent) and delivers by itself once SureAdhere answers there.
func TestSubjectPushWaitsForSureAdhere(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	a, arms := subjectsAgent(t, "http://"+addr, "sim-sureadhere-token")
	startSubjects(t, a)
	snap := waitState(t, a, "offline", func(s Snapshot) bool {
		p := SubjectPushOf(s)
		return p.Send != nil && p.Send.Offline && p.Queue.Held == len(arms)
	})
	if r, _ := snap.Remote(RemoteSureAdhere); r.Status != RemoteOffline {
		t.Fatalf("remote %+v", r)
	}
	sa, err := simsureadhere.Start(addr, simsureadhere.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sa.Close() })
	waitState(t, a, "delivered once back", func(s Snapshot) bool {
		p := SubjectPushOf(s)
		return !p.Send.Offline && p.Queue.Done == len(arms)
	})
	if len(sa.Patients()) != len(arms) {
		t.Fatalf("%d patients, want %d", len(sa.Patients()), len(arms))
	}
}

// TestSubjectArmChangeThroughAgent: an arm changed in Rave after the push shows in the counts as
// needing a person; acknowledging it through the agent (with a reason) settles it and sends nothing.
func TestSubjectArmChangeThroughAgent(t *testing.T) {
	sa := startSA(t, "")
	a, arms := subjectsAgent(t, sa.URL(), sa.Options().Token)
	if _, err := a.PushSubjects(t.Context()); err != nil {
		t.Fatal(err)
	}
	var subject, arm string
	for s, v := range arms {
		subject, arm = s, v
		break
	}
	other := map[string]string{"Arm A": "Arm B", "Arm B": "Arm A"}[arm]
	db, err := a.Store(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// Rave's arm as a later audit record sets it, at the key the pull stored it under.
	var k store.ClinicalKey
	err = db.View(t.Context(), func(tx *store.Tx) error {
		return tx.WalkClinicalItem("ALPHA(Prod)", "RAND.ARM", func(ck store.ClinicalKey, _ store.ClinicalValue) error {
			if ck.Subject == subject {
				k = ck
			}
			return nil
		})
	})
	if err != nil || k.Subject == "" {
		t.Fatalf("no RAND.ARM stored for %s: %v", subject, err)
	}
	err = db.Update(t.Context(), func(tx *store.Tx) error {
		_, err := tx.Clinical().Upsert(&k, &store.ClinicalValue{Value: other, AuditID: "999999999"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ingests := sa.Count("ingest")
	res, err := a.PushSubjects(t.Context())
	if err != nil || res.Flagged != 1 {
		t.Fatalf("push after the change: %+v %v", res, err)
	}
	rows, err := a.Subjects(t.Context())
	if c := CountSubjects(rows); err != nil || c.ArmChanged != 1 || c.NeedPerson() != 1 {
		t.Fatalf("counts %+v %v", c, err)
	}
	if err := a.AcknowledgeArmChange(t.Context(), "ALPHA(Prod)", subject, ""); err == nil {
		t.Fatal("acknowledged without a reason")
	}
	if err := a.AcknowledgeArmChange(t.Context(), "ALPHA(Prod)", subject, "SureAdhere regimen changed by hand"); err != nil {
		t.Fatal(err)
	}
	rows, _ = a.Subjects(t.Context())
	if c := CountSubjects(rows); c.ArmChanged != 0 || c.Pushed != len(arms) {
		t.Fatalf("counts after the acknowledgement %+v", c)
	}
	if sa.Count("ingest") != ingests {
		t.Fatal("the arm change was sent")
	}
}

// startSA starts a SureAdhere simulator.
func startSA(t *testing.T, faults string) *simsureadhere.Server {
	t.Helper()
	s, err := simsureadhere.Start("127.0.0.1:0", simsureadhere.Options{Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
