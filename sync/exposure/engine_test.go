package exposure

import (
	"context"
	"errors"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/store/storetest"
	"github.com/trialsync/trialsync/sync/outbox"
	"github.com/trialsync/trialsync/sync/rws"
	simrws "github.com/trialsync/trialsync/sync/sim/rws"
	"github.com/trialsync/trialsync/sync/sim/simtest"
)

// rig is the exposure engine over a real store, the outbox, and a real RWS client talking to the RWS
// simulator on loopback, with the bodies it posted captured.
type rig struct {
	t      *testing.T
	sim    *simrws.Server
	db     *store.DB
	lines  *Lines
	ob     *outbox.Outbox
	client *rws.Client

	mu     sync.Mutex
	bodies []string
}

const study = "ALPHA(Prod)"

func newRig(t *testing.T, opts simrws.Options, maxAttempts int) *rig {
	t.Helper()
	sim := simtest.Start(t, simrws.Start, opts)
	return newRigAt(t, sim, sim.URL(), maxAttempts)
}

// newRigAt builds the rig with its client on url (a proxy's, say), sim being what answers behind it.
func newRigAt(t *testing.T, sim *simrws.Server, url string, maxAttempts int) *rig {
	t.Helper()
	o := sim.Options()
	c, err := rws.New(rws.Config{BaseURL: url, Auth: rws.BasicAuth(o.User, o.Password),
		RequestsPerSecond: 10_000, Burst: 1000, Timeout: 5 * time.Second, ProbeEvery: 20 * time.Millisecond,
		Retry:   rws.RetryPolicy{InitialInterval: time.Millisecond, MaxInterval: 10 * time.Millisecond},
		Breaker: rws.BreakerPolicy{Failures: 100, OpenFor: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := &rig{t: t, sim: sim, client: c, db: storetest.Open(t, store.Options{})}
	r.ob = outbox.New(r.db, outbox.Options{RetryInterval: time.Millisecond, MaxRetryInterval: 5 * time.Millisecond})
	r.lines = NewLines(r.db, study, r.ob.Notify)
	m := Mapping{StudyOID: study, StudyEvent: "SM"}
	r.ob.Register(outbox.KindExposure, NewSender(r.lines, m, func(context.Context) (Poster, error) { return r, nil }),
		outbox.Policy{MaxAttempts: maxAttempts})
	return r
}

// PostClinicalData posts through the real client and keeps the body.
func (r *rig) PostClinicalData(ctx context.Context, odm []byte) (*rws.PostResult, error) {
	r.mu.Lock()
	r.bodies = append(r.bodies, string(odm))
	r.mu.Unlock()
	return r.client.PostClinicalData(ctx, odm)
}

func (r *rig) posted() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies...)
}

func (r *rig) importRecs(recs ...Record) {
	r.t.Helper()
	if n, err := r.lines.Import(r.t.Context(), recs, "test.csv"); err != nil || n != len(recs) {
		r.t.Fatalf("Import: %d, %v", n, err)
	}
}

func (r *rig) deliver() outbox.Report {
	r.t.Helper()
	rep, err := r.ob.Deliver(r.t.Context(), outbox.DeliverOptions{})
	if err != nil {
		r.t.Fatalf("Deliver: %v", err)
	}
	return rep
}

func (r *rig) messages() []outbox.Listed {
	r.t.Helper()
	ls, err := outbox.List(r.t.Context(), r.db, outbox.Filter{})
	if err != nil {
		r.t.Fatal(err)
	}
	return ls
}

func dose(subject, drug, date string, taken string) Record {
	form := map[string]string{"Isoniazid": "EX_INH", "Rifapentine": "EX_RPT"}[drug]
	return Record{Subject: subject, Site: subject[:3], Drug: drug, Form: form, StartDate: date, StartTime: "08:30",
		Prescribed: "2", Taken: taken, Mode: "Video", WithFood: "Yes"}
}

var itemData = regexp.MustCompile(`<ItemData ItemOID="[^"]*\.(\w+)"[^>]*Value="([^"]*)"`)

// items lists a body's items as NAME=value.
func items(body string) []string {
	var out []string
	for _, m := range itemData.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1]+"="+m[2])
	}
	return out
}

func TestFirstSendCarriesEveryItemAndAnEditOnlyWhatChanged(t *testing.T) {
	r := newRig(t, simrws.Options{}, 3)
	rec := dose("101-001", "Isoniazid", "2024-11-03", "2")
	rec.WithFood = ""
	r.importRecs(rec)
	if rep := r.deliver(); rep.Sent != 1 {
		t.Fatalf("report %+v", rep)
	}
	bodies := r.posted()
	if got := strings.Join(items(bodies[0]), " "); got != "EXSTDAT=03 NOV 2024 EXSTTIM=08:30 EXPNUM=2 EXNUM=2 EXMODE=Video EXFOOD=" {
		t.Errorf("first send items: %s", got)
	}
	lines := r.sim.LogLines("101-001", "EX_INH")
	if len(lines) != 1 || lines[0].Items["EX_INH.EXNUM"] != "2" || lines[0].Items["EX_INH.EXSTDAT"] != "03 NOV 2024" {
		t.Fatalf("Rave holds %+v", lines)
	}
	st, _, err := r.lines.Get(t.Context(), rec.LogLine().Key)
	if err != nil || st.Acked == nil || *st.Acked != rec.LogLine().Values || st.Reference == "" {
		t.Fatalf("stored %+v (%v), want the acknowledged values and Rave's reference", st, err)
	}
	m := r.messages()[0]
	if m.State != outbox.Done || m.Note != "" || m.Reference != st.Reference || m.Status != 200 {
		t.Errorf("message %+v, want done with Rave's reference and no mismatch", m.Message)
	}
	// The attempt's claim is the document's FileOID, and the audit entry carries it and the body's hash.
	if !strings.Contains(bodies[0], `FileOID="`) || !strings.Contains(bodies[0], `FileOID="`+doneEntry(t, r, m.ID).CorrelationID+`"`) {
		t.Errorf("the done entry's correlation ID is not the body's FileOID")
	}
	if e := doneEntry(t, r, m.ID); e.PayloadHash != outbox.HashOf([]byte(bodies[0])) || !strings.Contains(e.New, "reference "+st.Reference) {
		t.Errorf("done entry %+v, want the request hash and Rave's reference", e)
	}

	// The same record again is no edit: nothing is queued or sent.
	r.importRecs(rec)
	if rep := r.deliver(); rep.Sent != 0 || len(r.messages()) != 1 || len(r.posted()) != 1 {
		t.Fatalf("re-import of an unchanged record: report %+v, %d messages, %d posts", rep, len(r.messages()), len(r.posted()))
	}
	// A dose going from 2 taken to 0 sends 0, and only that.
	rec.Taken = "0"
	r.importRecs(rec)
	r.deliver()
	if got := strings.Join(items(r.posted()[1]), " "); got != "EXSTDAT=03 NOV 2024 EXNUM=0" {
		t.Errorf("edit items: %s, want the context and the changed count only", got)
	}
	lines = r.sim.LogLines("101-001", "EX_INH")
	if len(lines) != 1 || lines[0].Items["EX_INH.EXNUM"] != "0" || lines[0].Items["EX_INH.EXMODE"] != "Video" {
		t.Fatalf("after the edit Rave holds %+v, want the same line with 0 taken", lines)
	}
}

func doneEntry(t *testing.T, r *rig, id uint64) store.Entry {
	t.Helper()
	var out store.Entry
	err := r.db.WalkEntries(t.Context(), 0, func(e store.Entry) error {
		if e.Object == outbox.Object(id) && e.Action == store.ActionOutboxDone {
			out = e
		}
		return nil
	})
	if err != nil || out.Seq == 0 {
		t.Fatalf("no done entry for message %d (%v)", id, err)
	}
	return out
}

func TestEditsBeforeTheSendCoalesceIntoOne(t *testing.T) {
	r := newRig(t, simrws.Options{}, 3)
	for _, taken := range []string{"1", "2", "0"} {
		r.importRecs(dose("102-002", "Rifapentine", "2025-03-04", taken))
	}
	if n := len(r.messages()); n != 1 {
		t.Fatalf("%d messages for three edits of one unsent line, want 1", n)
	}
	r.deliver()
	if p := r.posted(); len(p) != 1 || !strings.Contains(strings.Join(items(p[0]), " "), "EXNUM=0") {
		t.Fatalf("posts %v, want one carrying the last edit", p)
	}
	// Back and forth to what Rave holds: the change becomes nothing to send.
	r.importRecs(dose("102-002", "Rifapentine", "2025-03-04", "3"), dose("102-002", "Rifapentine", "2025-03-04", "0"))
	rep := r.deliver()
	if rep.Skipped != 1 || len(r.posted()) != 1 {
		t.Errorf("an edit undone before its send: report %+v, %d posts; want it done without a request", rep, len(r.posted()))
	}
}

func TestWrongDrugIsDeadAtOnceAndUrgent(t *testing.T) {
	r := newRig(t, simrws.Options{Arms: []string{"Arm A", "Arm B"}, ArmOf: map[string]string{"103-004": "Arm B", "101-001": "Arm A"},
		ArmForms: map[string][]string{"Arm A": {"EX_INH", "EX_RPT"}, "Arm B": {"EX_INH"}}}, 3)
	r.importRecs(dose("103-004", "Rifapentine", "2025-03-05", "1"), dose("101-001", "Rifapentine", "2025-03-05", "1"))
	rep := r.deliver()
	if rep.Dead != 1 || rep.Sent != 1 {
		t.Fatalf("report %+v, want the wrong drug dead and the other subject's dose sent", rep)
	}
	var dead outbox.Listed
	for _, m := range r.messages() {
		if m.State == outbox.Dead {
			dead = m
		}
	}
	if !dead.Urgent || dead.ReasonCode != "RWS00033" || !strings.HasSuffix(dead.Origin, "FormData[1]") || dead.Attempts != 1 ||
		!strings.HasPrefix(dead.Advice, "Urgent:") || !strings.Contains(dead.Advice, "the client") {
		t.Fatalf("wrong-drug message %+v, want urgent and dead after one attempt, with code, origin and advice", dead.Message)
	}
	if lines := r.sim.LogLines("103-004", "EX_RPT"); len(lines) != 0 {
		t.Errorf("the refused dose reached Rave: %v", lines)
	}
}

func TestNotSuccessfulAtHTTP200IsAFailure(t *testing.T) {
	for _, tc := range []struct {
		name, faults string
		attempts     int
	}{
		{"a refusal no retry can pass", "txfail:1@RWS00023", 1},
		{"a locked record, retried until max_attempts", "txfail:1", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, simrws.Options{Faults: tc.faults}, 3)
			rec := dose("101-003", "Isoniazid", "2025-03-06", "1")
			r.importRecs(rec)
			rep := r.deliver()
			m := r.messages()[0]
			if rep.Sent != 0 || rep.Dead != 1 || m.State != outbox.Dead || m.Status != 200 || m.Attempts != tc.attempts ||
				!strings.Contains(m.Error, `IsTransactionSuccessful="0"`) {
				t.Fatalf("report %+v, message %+v", rep, m.Message)
			}
			if st, _, _ := r.lines.Get(t.Context(), rec.LogLine().Key); st.Acked != nil {
				t.Error("a failed transaction was recorded as acknowledged")
			}
			if r.sim.Count("txfail") != tc.attempts {
				t.Errorf("%d posts reached Rave, want %d", r.sim.Count("txfail"), tc.attempts)
			}
		})
	}
}

func TestThree503sMakeADeadLetterThatRetryRevives(t *testing.T) {
	r := newRig(t, simrws.Options{Faults: "503burst:3@1"}, 3)
	rec := dose("101-002", "Isoniazid", "2025-03-07", "1")
	r.importRecs(rec)
	rep := r.deliver()
	m := r.messages()[0]
	if rep.Dead != 1 || m.State != outbox.Dead || m.Attempts != 3 || m.Status != 503 || r.sim.Count("503") != 3 ||
		!strings.Contains(m.Advice, "Medidata support and the client") {
		t.Fatalf("report %+v, 503s %d, message %+v", rep, r.sim.Count("503"), m.Message)
	}
	if _, err := r.ob.Retry(t.Context(), "crc.jones", m.ID); err != nil {
		t.Fatal(err)
	}
	if rep := r.deliver(); rep.Sent != 1 {
		t.Fatalf("after retry: %+v", rep)
	}
	if lines := r.sim.LogLines("101-002", "EX_INH"); len(lines) != 1 {
		t.Fatalf("Rave holds %v after the retry", lines)
	}
}

// proxy forwards TCP connections to a target and can go down (connection refused) and up again on
// the same address: Rave unreachable for a while, its state kept.
type proxy struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{target: target, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns[c], p.conns[up] = true, true
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
}

func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *proxy) up(t *testing.T) {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.serve(ln)
}

func TestOfflineForAWhileThenEverythingOnceInOrder(t *testing.T) {
	sim := simtest.Start(t, simrws.Start, simrws.Options{})
	p := newProxy(t, sim.Addr())
	r := newRigAt(t, sim, "http://"+p.addr+"/RaveWebServices", 3)

	// Online: a first dose of each line goes.
	subjects := []string{"101-001", "101-002", "102-001", "103-003"}
	for _, s := range subjects {
		r.importRecs(dose(s, "Isoniazid", "2025-03-03", "1"))
	}
	if rep := r.deliver(); rep.Sent != 4 {
		t.Fatalf("online run: %+v", rep)
	}
	posts := sim.Count("post")

	// Offline: corrections of those lines and new days queue up; nothing is spent.
	p.down()
	want := map[string]string{}
	for i, s := range subjects {
		for _, taken := range []string{"2", "0", "2"} { // edits before the send coalesce
			r.importRecs(dose(s, "Isoniazid", "2025-03-03", taken))
		}
		r.importRecs(dose(s, "Isoniazid", "2025-03-04", "1"), dose(s, "Rifapentine", "2025-03-04", string(rune('1'+i))))
		want[s] = string(rune('1' + i))
	}
	rep := r.deliver()
	if rep.Held != 12 || rep.Sent != 0 || len(rep.Offline) != 1 {
		t.Fatalf("offline run: %+v, want 12 held", rep)
	}
	for _, m := range r.messages() {
		if m.State == outbox.Held && m.Attempts != 0 {
			t.Errorf("message %d held after %d attempts, want none spent", m.ID, m.Attempts)
		}
	}
	if sim.Count("post") != posts {
		t.Fatal("a post reached Rave while it was unreachable")
	}

	// Online again: the remote's Ready closes by itself, and the next run sends each message once.
	p.up(t)
	select {
	case <-rep.Offline[0].Ready:
	case <-time.After(10 * time.Second):
		t.Fatal("Ready never closed after Rave came back")
	}
	rep = r.deliver()
	if rep.Sent != 12 || rep.Held != 0 {
		t.Fatalf("run after Rave came back: %+v", rep)
	}
	if n := sim.Count("post") - posts; n != 12 {
		t.Errorf("%d posts for 12 messages: something was sent twice or not at all", n)
	}
	for _, m := range r.messages() {
		if m.State != outbox.Done || m.Attempts != 1 {
			t.Errorf("message %d: %s after %d attempts", m.ID, m.State, m.Attempts)
		}
	}
	for _, s := range subjects {
		inh := r.sim.LogLines(s, "EX_INH")
		rpt := r.sim.LogLines(s, "EX_RPT")
		if len(inh) != 2 || inh[0].Items["EX_INH.EXNUM"] != "2" || inh[1].Items["EX_INH.EXNUM"] != "1" ||
			len(rpt) != 1 || rpt[0].Items["EX_RPT.EXNUM"] != want[s] {
			t.Errorf("%s: Rave holds %+v and %+v", s, inh, rpt)
		}
	}
}

// fakePoster answers every post with a fixed result, for the statistics checks.
type fakePoster struct{ res rws.PostResult }

func (f fakePoster) PostClinicalData(context.Context, []byte) (*rws.PostResult, error) {
	r := f.res
	return &r, nil
}

func TestStatisticsMismatchIsShownNotHidden(t *testing.T) {
	for _, tc := range []struct {
		stats, note string
	}{
		{"Rave objects touched: Subjects=0; Folders=0; Forms=1; Fields=5; LogLines=1", ""},
		{"Rave objects touched: Subjects=1; Folders=0; Forms=1; Fields=5; LogLines=1", "subject(s) touched"},
		{"Rave objects touched: Subjects=0; Fields=9; LogLines=1", "9 fields touched, the send carried 5"},
		{"N/A", "could not be checked"},
		{"Rave objects touched: Subjects=zero; Fields=5; LogLines=1; Widgets=3", "could not be read (Subjects=zero)"},
	} {
		t.Run(tc.stats, func(t *testing.T) {
			db := storetest.Open(t, store.Options{})
			ob := outbox.New(db, outbox.Options{})
			lines := NewLines(db, study, nil)
			ob.Register(outbox.KindExposure, NewSender(lines, Mapping{StudyOID: study, StudyEvent: "SM"},
				func(context.Context) (Poster, error) {
					return fakePoster{rws.PostResult{Status: 200, ReferenceNumber: "ref-1", SuccessStatistics: tc.stats}}, nil
				}), outbox.Policy{})
			if _, err := lines.Import(t.Context(), []Record{dose("101-001", "Isoniazid", "2025-03-03", "1")}, "t"); err != nil {
				t.Fatal(err)
			}
			if rep, err := ob.Deliver(t.Context(), outbox.DeliverOptions{}); err != nil || rep.Sent != 1 {
				t.Fatalf("report %+v, %v: statistics must never fail an accepted send", rep, err)
			}
			ls, _ := outbox.List(t.Context(), db, outbox.Filter{})
			if note := ls[0].Note; (tc.note == "") != (note == "") || !strings.Contains(note, tc.note) {
				t.Errorf("note %q, want it to mention %q", note, tc.note)
			}
		})
	}
}

// A client that cannot be had (a credential missing) stops the run and spends nothing.
func TestMissingCredentialStopsTheRun(t *testing.T) {
	db := storetest.Open(t, store.Options{})
	ob := outbox.New(db, outbox.Options{Fatal: func(err error) bool { return errors.Is(err, store.ErrSecretNotFound) }})
	lines := NewLines(db, study, nil)
	ob.Register(outbox.KindExposure, NewSender(lines, Mapping{StudyOID: study, StudyEvent: "SM"},
		func(context.Context) (Poster, error) { return nil, store.ErrSecretNotFound }), outbox.Policy{})
	if _, err := lines.Import(t.Context(), []Record{dose("101-001", "Isoniazid", "2025-03-03", "1")}, "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := ob.Deliver(t.Context(), outbox.DeliverOptions{}); !errors.Is(err, store.ErrSecretNotFound) {
		t.Fatalf("Deliver: %v", err)
	}
	if ls, _ := outbox.List(t.Context(), db, outbox.Filter{}); ls[0].State != outbox.Pending || ls[0].Attempts != 0 {
		t.Fatalf("message %+v, want pending with no attempt spent", ls[0].Message)
	}
}
