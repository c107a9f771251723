package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	simrws "github.com/trialsync/trialsync/sync/sim/rws"
	"github.com/trialsync/trialsync/sync/sim/seed"
	simsureadhere "github.com/trialsync/trialsync/sync/sim/sureadhere"
)

// subjectsSetup is a Rave simulator and a SureAdhere simulator, a configuration for both (the
// study's arm item RAND.ARM, the seed's regimens), and the credentials in the keyring of the test.
type subjectsSetup struct {
	rws      *simrws.Server
	sa       *simsureadhere.Server
	cfg      string
	regimens map[string]string // arm -> regimen
}

// newSubjectsSetup starts both simulators for the demo's study (seeded arms, the arm change's subject
// fixed), with rwsOpts and saOpts changed by the callers' functions, and writes the configuration.
func newSubjectsSetup(t *testing.T, tweakRWS func(*simrws.Options), tweakSA func(*simsureadhere.Options)) *subjectsSetup {
	t.Helper()
	st, err := seed.Load(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	ro := simrws.FromSeed(st)
	ro.Faults = "" // Rave's 429 storm is the pull's trouble, tested there
	if tweakRWS != nil {
		tweakRWS(&ro)
	}
	rws, err := simrws.Start("127.0.0.1:0", ro)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rws.Close() })
	so := simsureadhere.FromSeed(st)
	so.Token = "tok_5ureAdhere+Integr/ation=Secret&1"
	if tweakSA != nil {
		tweakSA(&so)
	}
	sa, err := simsureadhere.Start("127.0.0.1:0", so)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sa.Close() })
	s := &subjectsSetup{rws: rws, sa: sa, regimens: map[string]string{}}
	var pairs []string
	for _, a := range st.Arms {
		s.regimens[a.Name] = a.Regimen
		pairs = append(pairs, fmt.Sprintf("%q = %q", a.Name, a.Regimen))
	}
	s.cfg = filepath.Join(t.TempDir(), "config.toml")
	body := fmt.Sprintf("[rave]\nurl = %q\nauth = \"basic\"\nuser = %q\npage_size = 1000\n\n[[rave.study]]\noid = %q\narm_item = \"RAND.ARM\"\n\n"+
		"[sureadhere]\nurl = %q\nregimens = { %s }\n", rws.URL(), rws.Options().User, st.OID, sa.URL(), strings.Join(pairs, ", "))
	if err := os.WriteFile(s.cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// fewerSubjects keeps the seed's study (sites, arms, fixed arms, the arm change's subject) at 40
// subjects a site: the client sends 10 subjects a second, as SureAdhere's throttle allows.
func fewerSubjects(o *simrws.Options) { o.SubjectsPerSite = 40 }

// store makes a store with both credentials set and the study pulled once.
func (s *subjectsSetup) store(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trialsync.db")
	for name, secret := range map[string]string{"rave.password": s.rws.Options().Password, "sureadhere.token": s.sa.Options().Token} {
		if r := cli(t, secret+"\n", "--store", path, "--config", s.cfg, "creds", "set", name); r.code != 0 {
			t.Fatalf("creds set %s: %s", name, r.stderr)
		}
	}
	if r := cli(t, "", "--store", path, "--config", s.cfg, "pull", "--once"); r.code != 0 {
		t.Fatalf("pull: %d %s", r.code, r.stderr)
	}
	return path
}

// arms is every subject's arm as Rave holds it now, read back from the RWS simulator.
func (s *subjectsSetup) arms() map[string]string {
	out := map[string]string{}
	for _, subj := range s.rws.Subjects() {
		v, _, ok := s.rws.Value(simrws.ItemKey{Subject: subj, Event: "SCREEN", Form: "RAND", ItemGroup: "RAND", Item: "RAND.ARM"})
		if ok && v != "" {
			out[subj] = v
		}
	}
	return out
}

// sureAdhere is what SureAdhere holds, MRN -> "regimen@site"; the test fails if an MRN is there twice.
func sureAdhere(t *testing.T, sa *simsureadhere.Server) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range sa.Patients() {
		if _, dup := out[p.MRN]; dup {
			t.Fatalf("SureAdhere holds patient %s twice", p.MRN)
		}
		out[p.MRN] = p.Regimen + "@" + p.SiteCode
	}
	return out
}

// want is what SureAdhere should hold for Rave's arms.
func (s *subjectsSetup) want() map[string]string {
	out := map[string]string{}
	for subj, arm := range s.arms() {
		out[subj] = s.regimens[arm] + "@" + subj[:strings.IndexByte(subj, '-')]
	}
	return out
}

func sameMap(a, b map[string]string) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d entries, want %d", len(a), len(b))
	}
	for k, v := range b {
		if a[k] != v {
			return fmt.Sprintf("%s: %q, want %q", k, a[k], v)
		}
	}
	return ""
}

// postArm changes a subject's RAND.ARM in Rave, as a data manager's correction does.
func postArm(t *testing.T, s *simrws.Server, subject, arm string) {
	t.Helper()
	if err := postArmCorrection(t.Context(), s, subject, arm); err != nil {
		t.Fatalf("posting the arm change: %v", err)
	}
	if v, _, _ := s.Value(simrws.ItemKey{Subject: subject, Event: "SCREEN", Form: "RAND", ItemGroup: "RAND", Item: "RAND.ARM"}); v != arm {
		t.Fatalf("Rave's arm for %s is %q after the post", subject, v)
	}
}

// listed is `subjects list --format jsonl`, by subject.
func listed(t *testing.T, path, cfg string) map[string]subjectLine {
	t.Helper()
	r := cli(t, "", "--store", path, "--config", cfg, "subjects", "list", "--format", "jsonl")
	if r.code != 0 {
		t.Fatalf("subjects list: %s", r.stderr)
	}
	out := map[string]subjectLine{}
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	for sc.Scan() {
		var l subjectLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%v: %s", err, sc.Text())
		}
		out[l.Subject] = l
	}
	return out
}

// TestSubjectsPushSeeded: the demo's study, pulled from the RWS simulator, pushed to the SureAdhere
// simulator: every randomized subject exactly once with its arm's regimen; a second push sends
// nothing; the seed's arm change after the push is flagged, not sent, and a person acknowledges it.
func TestSubjectsPushSeeded(t *testing.T) {
	needKeyring(t)
	isolate(t)
	s := newSubjectsSetup(t, fewerSubjects, nil)
	path := s.store(t)
	want := s.want()
	if len(want) < 100 {
		t.Fatalf("the seeded study randomized only %d subjects", len(want))
	}
	run := func(args ...string) result {
		return cli(t, "", append([]string{"--store", path, "--config", s.cfg}, args...)...)
	}
	r := run("subjects", "push", "--once")
	wantLine := fmt.Sprintf("queued %d, sent %d, dead 0, held 0; unmapped arms 0, arm changes to acknowledge 0", len(want), len(want))
	if r.code != 0 || lastLine(r.stderr) != wantLine {
		t.Fatalf("first push: exit %d, %q; want %q", r.code, r.stderr, wantLine)
	}
	if d := sameMap(sureAdhere(t, s.sa), want); d != "" {
		t.Fatalf("SureAdhere after the push: %s", d)
	}
	if n := s.sa.Count("201"); n != len(want) {
		t.Fatalf("%d patients created, want %d", n, len(want))
	}
	// Each subject went as one outbound message, listed with the others by `queue list`.
	r = run("queue", "list", "--format", "jsonl")
	sent := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	for sc.Scan() {
		var m struct{ Kind, Key, State string }
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("queue list: %v: %s", err, sc.Text())
		}
		if m.Kind != "subject" || m.State != "done" || sent[m.Key] {
			t.Fatalf("queue list: %s", sc.Text())
		}
		sent[m.Key] = true
	}
	for subj := range want {
		if !sent["ALPHA(Prod)/"+subj] {
			t.Fatalf("queue list (exit %d) has no message for %s: %q", r.code, subj, r.stdout)
		}
	}

	ingests := s.sa.Count("ingest")
	if r := run("subjects", "push", "--once"); r.code != 0 || lastLine(r.stderr) != "queued 0, sent 0, dead 0, held 0; unmapped arms 0, arm changes to acknowledge 0" {
		t.Fatalf("second push: %d %q", r.code, r.stderr)
	}
	if s.sa.Count("ingest") != ingests {
		t.Fatal("the second push sent something")
	}

	// The seed's trouble: Rave corrects 101-012's arm after the push.
	st, _ := seed.Load(seedFile)
	ch := st.Trouble.ArmChange
	if got := listed(t, path, s.cfg)[ch.Subject]; got.Arm != ch.From || got.Status != "pushed" {
		t.Fatalf("%s before the change: %+v", ch.Subject, got)
	}
	postArm(t, s.rws, ch.Subject, ch.To)
	if r := run("pull", "--once"); r.code != 0 {
		t.Fatalf("pull: %s", r.stderr)
	}
	r = run("subjects", "push", "--once")
	flag := fmt.Sprintf("ALPHA(Prod)/%s: arm changed in Rave after the push, %q -> %q; SureAdhere keeps regimen %q", ch.Subject, ch.From, ch.To, s.regimens[ch.From])
	if r.code != 0 || !strings.Contains(r.stderr, flag) || !strings.HasSuffix(lastLine(r.stderr), "arm changes to acknowledge 1") {
		t.Fatalf("push after the arm change: %d %q", r.code, r.stderr)
	}
	if s.sa.Count("ingest") != ingests || sureAdhere(t, s.sa)[ch.Subject] != want[ch.Subject] {
		t.Fatal("the arm change was sent to SureAdhere")
	}
	if got := listed(t, path, s.cfg)[ch.Subject]; got.Status != "arm_changed" || got.Arm != ch.To || got.ArmChangedFrom != ch.From || got.PushedRegimen != s.regimens[ch.From] {
		t.Fatalf("listed %+v", got)
	}
	oneLineError(t, run("subjects", "acknowledge", "ALPHA(Prod)/"+ch.Subject), exitUsage, "needs --reason")
	oneLineError(t, run("subjects", "acknowledge", "ALPHA(Prod)/101-001", "--reason", "x"), exitFailed, "no arm change waits for a decision")
	if r := run("subjects", "acknowledge", "ALPHA(Prod)/"+ch.Subject, "--reason", "regimen changed by hand in SureAdhere"); r.code != 0 ||
		!strings.Contains(r.stderr, "arm change acknowledged; nothing sent to SureAdhere") {
		t.Fatalf("acknowledge: %d %q", r.code, r.stderr)
	}
	if got := listed(t, path, s.cfg)[ch.Subject]; got.Status != "pushed" || got.AcknowledgedBy == "" {
		t.Fatalf("after the acknowledgement: %+v", got)
	}
	if r := run("subjects", "push", "--once"); r.code != 0 || !strings.HasSuffix(lastLine(r.stderr), "arm changes to acknowledge 0") || s.sa.Count("ingest") != ingests {
		t.Fatalf("push after the acknowledgement: %q", r.stderr)
	}
	if r := run("audit", "verify"); r.code != 0 {
		t.Fatalf("audit verify: %s", r.stderr)
	}
}

// TestSubjectsPushSurvivesKill9: `subjects push --once` killed with SIGKILL at random moments of its
// delivery, at least 20 times, each run resuming from what the last one committed; then one run
// completes. SureAdhere then holds exactly what a run without kills gives it, no patient twice, and
// every subject has exactly one outbound message, delivered.
func TestSubjectsPushSurvivesKill9(t *testing.T) {
	needKeyring(t)
	isolate(t)
	// A quarter of SureAdhere's answers dribble out over a second after the patient was created, so
	// that kills land between SureAdhere's write and trialsync's record of it (the next run meets
	// 409). The push of 120 subjects at the client's 10 a second outlasts the 24 runs killed after
	// 0.12-0.52 s each. An attempt a kill interrupts counts, so a message can spend at most 24 of its
	// sureadhere.MaxAttempts that way.
	slow := func(o *simsureadhere.Options) { o.Faults = "trickle:10ms@0.25" }
	ref := newSubjectsSetup(t, fewerSubjects, nil)
	refStore := ref.store(t)
	if r := cli(t, "", "--store", refStore, "--config", ref.cfg, "subjects", "push", "--once"); r.code != 0 {
		t.Fatalf("reference push: %s", r.stderr)
	}
	want := sureAdhere(t, ref.sa)

	s := newSubjectsSetup(t, fewerSubjects, slow)
	path := s.store(t)
	seedv := rand.Uint64()
	rng := rand.New(rand.NewPCG(seedv, 2))
	killed := 0
	for i := 0; i < 24; i++ {
		r, k := killedCLI(t, time.Duration(120+rng.IntN(400))*time.Millisecond, "--store", path, "--config", s.cfg, "subjects", "push", "--once")
		if k {
			killed++
		} else if r.code != 0 {
			t.Fatalf("run %d (seed %d) failed on its own: %s", i, seedv, r.stderr)
		}
	}
	during := len(s.sa.Patients())
	if killed < 20 || during == 0 || during >= len(want) {
		t.Fatalf("%d of 24 runs killed, %d of %d subjects sent meanwhile (seed %d): the kills did not land during delivery", killed, during, len(want), seedv)
	}
	r := cli(t, "", "--store", path, "--config", s.cfg, "subjects", "push", "--once")
	if r.code != 0 || !strings.Contains(lastLine(r.stderr), "dead 0, held 0") {
		t.Fatalf("final push: %d %q", r.code, r.stderr)
	}
	if d := sameMap(sureAdhere(t, s.sa), want); d != "" {
		t.Fatalf("after %d kills (seed %d) SureAdhere differs from the run without kills: %s", killed, seedv, d)
	}
	if n := s.sa.Count("201"); n != len(want) {
		t.Fatalf("%d patients created for %d subjects", n, len(want))
	}
	msgs := map[uint64]bool{}
	for subj, l := range listed(t, path, s.cfg) {
		if l.Status != "pushed" || msgs[l.Message] {
			t.Fatalf("%s: %+v (message shared: %v)", subj, l, msgs[l.Message])
		}
		msgs[l.Message] = true
	}
	if len(msgs) != len(want) {
		t.Fatalf("%d subjects listed, want %d", len(msgs), len(want))
	}
	if r := cli(t, "", "--store", path, "audit", "verify"); r.code != 0 {
		t.Fatalf("audit after kills: %s", r.stderr)
	}
	t.Logf("%d kills (seed %d), %d sent during them, %d 409s met after lost answers, %d subjects equal", killed, seedv, during,
		s.sa.Count("409"), len(want))
}

// TestSubjectsTokenRefusedAndNeverShown: a wrong token is refused (exit 1, "credential sureadhere.token
// rejected", nothing dead); the right one then delivers; neither token appears in any output, the
// store or the log files, in any form a leak would take.
func TestSubjectsTokenRefusedAndNeverShown(t *testing.T) {
	needKeyring(t)
	_, logDir := isolate(t)
	s := newSubjectsSetup(t, func(o *simrws.Options) { o.SubjectsPerSite = 3; o.Visits = 1 }, nil)
	path := s.store(t)
	good := s.sa.Options().Token
	bad := "tok_wrong/Secret+Value=42&x"
	var captured bytes.Buffer
	run := func(stdin string, args ...string) result {
		r := cli(t, stdin, append([]string{"--store", path, "--config", s.cfg, "--log-level", "debug"}, args...)...)
		captured.WriteString(r.stdout + r.stderr)
		return r
	}
	run(bad+"\n", "creds", "set", "sureadhere.token")
	r := run("", "subjects", "push", "--once")
	oneLineError(t, r, exitFailed, "Invalid MRNIntegrationToken.")
	if !strings.Contains(r.stderr, "sureadhere.token") || len(s.sa.Patients()) != 0 {
		t.Fatalf("a refused token: %q, %d patients", r.stderr, len(s.sa.Patients()))
	}
	run(good+"\n", "creds", "set", "sureadhere.token")
	r = run("", "subjects", "push", "--once")
	if r.code != 0 || !strings.Contains(lastLine(r.stderr), "dead 0, held 0") || len(sureAdhere(t, s.sa)) != len(s.want()) {
		t.Fatalf("with the right token: %d %q, %d patients", r.code, r.stderr, len(s.sa.Patients()))
	}
	if r := run("", "send", "--once"); r.code != 0 || !strings.Contains(r.stderr, "sent 0, dead 0, held 0") {
		t.Fatalf("send --once after the push: %d %q", r.code, r.stderr)
	}
	run("", "subjects", "list")
	run("", "subjects", "list", "--format", "jsonl")
	run("", "queue", "list", "--format", "jsonl")
	run("", "audit", "list", "--format", "jsonl")
	if !strings.Contains(captured.String(), "subject.push") {
		t.Fatal("the audit listing shows no subject push: the commands did not run as expected")
	}

	assertNoLeak(t, captured.Bytes(), []string{path}, logDir, map[string]string{"sureadhere.token": good, "wrong sureadhere.token": bad})
}

// TestSubjectsPushService: `subjects push` without --once runs the agent's subject services until
// interrupted: it finds the pulled subjects, sends them, says so, and ends cleanly on the interrupt.
func TestSubjectsPushService(t *testing.T) {
	needKeyring(t)
	isolate(t)
	s := newSubjectsSetup(t, func(o *simrws.Options) { o.SubjectsPerSite = 3; o.Visits = 1 }, nil)
	path := s.store(t)
	want := s.want()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--store", path, "--config", s.cfg, "subjects", "push"}, strings.NewReader(""), &stdout, &stderr)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for len(s.sa.Patients()) < len(want) || !strings.Contains(stderr.String(), "sending to SureAdhere: sent") {
		if time.Now().After(deadline) {
			t.Fatalf("after a minute SureAdhere holds %d of %d; stderr %q", len(s.sa.Patients()), len(want), stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d after the interrupt: %q", code, stderr.String())
	}
	if d := sameMap(sureAdhere(t, s.sa), want); d != "" {
		t.Fatalf("SureAdhere: %s", d)
	}
	if !strings.Contains(stderr.String(), fmt.Sprintf("looking for subjects: %d randomized subjects read, %d queued", len(want), len(want))) {
		t.Fatalf("stderr %q", stderr.String())
	}
}

// TestSubjectsPushOnceOffline: with SureAdhere down, `subjects push --once` holds the subjects (no
// attempt spent), says so and exits 0; once SureAdhere answers at its address again, the next run
// delivers each of them once.
func TestSubjectsPushOnceOffline(t *testing.T) {
	needKeyring(t)
	isolate(t)
	s := newSubjectsSetup(t, func(o *simrws.Options) { o.SubjectsPerSite = 3; o.Visits = 1 }, nil)
	path := s.store(t)
	want := s.want()
	addr, opts := s.sa.Addr(), s.sa.Options()
	s.sa.Close()
	r := cli(t, "", "--store", path, "--config", s.cfg, "subjects", "push", "--once")
	held := fmt.Sprintf("queued %d, sent 0, dead 0, held %d;", len(want), len(want))
	if r.code != 0 || !strings.Contains(r.stderr, "SureAdhere cannot be reached ("+addr+" refused the connection") || !strings.HasPrefix(lastLine(r.stderr), held) {
		t.Fatalf("push with SureAdhere down: %d %q", r.code, r.stderr)
	}
	for subj, l := range listed(t, path, s.cfg) {
		if l.Status != "held" || l.Attempts != 0 {
			t.Fatalf("%s while SureAdhere is down: %+v", subj, l)
		}
	}
	sa, err := simsureadhere.Start(addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sa.Close() })
	r = cli(t, "", "--store", path, "--config", s.cfg, "subjects", "push", "--once")
	if r.code != 0 || !strings.HasPrefix(lastLine(r.stderr), fmt.Sprintf("queued 0, sent %d, dead 0, held 0;", len(want))) {
		t.Fatalf("push once SureAdhere is back: %d %q", r.code, r.stderr)
	}
	if d := sameMap(sureAdhere(t, sa), want); d != "" {
		t.Fatalf("SureAdhere: %s", d)
	}
}

// TestSubjectsUsage: the command line's mistakes are usage errors (exit 2), and a configuration
// without [sureadhere] is a clear failure (exit 1), before anything is opened or sent.
func TestSubjectsUsage(t *testing.T) {
	isolate(t)
	cfg := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(cfg, []byte("[rave]\nurl = \"http://127.0.0.1:1\"\nauth = \"basic\"\nuser = \"u\"\n\n[[rave.study]]\noid = \"S\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(t.TempDir(), "t.db")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"subjects"}, exitUsage, "subjects needs a subcommand"},
		{[]string{"subjects", "push", "extra"}, exitUsage, "takes no arguments"},
		{[]string{"subjects", "list", "--format", "xml"}, exitUsage, `--format "xml": want jsonl or text`},
		{[]string{"subjects", "acknowledge", "101-012", "--reason", "r"}, exitUsage, "want STUDY/SUBJECT"},
		{[]string{"subjects", "acknowledge", "ALPHA(Prod)/", "--reason", "r"}, exitUsage, "want STUDY/SUBJECT"},
		{[]string{"subjects", "acknowledge", "ALPHA(Prod)/101-012", "--reason", " "}, exitUsage, "needs --reason"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			oneLineError(t, cli(t, "", append([]string{"--store", store, "--config", cfg}, tc.args...)...), tc.code, tc.want)
		})
	}
	t.Run("not configured", func(t *testing.T) {
		needKeyring(t)
		oneLineError(t, cli(t, "", "--store", store, "--config", cfg, "subjects", "push", "--once"), exitFailed, "no [sureadhere] section")
	})
}
