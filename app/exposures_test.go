package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/trialsync/trialsync/sync/agent"
	"github.com/trialsync/trialsync/sync/exposure"
	"github.com/trialsync/trialsync/sync/outbox"
)

// exposureFake is the fake backend's exposure queue: the messages it lists and what the screen asked.
type exposureFake struct {
	msgs      []outbox.Listed
	listErr   error
	retried   []uint64
	discarded []string // "ID: reason"
	entered   []exposure.Input
	imported  []string
}

func (f *fakeBackend) Messages(ctx context.Context, filt outbox.Filter) ([]outbox.Listed, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.exposures.msgs), f.exposures.listErr
}

func (f *fakeBackend) RetryMessage(ctx context.Context, id uint64) (outbox.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.exposures.retried = append(f.exposures.retried, id)
	for i, m := range f.exposures.msgs {
		if m.ID == id && m.State == outbox.Dead {
			f.exposures.msgs[i].State, f.exposures.msgs[i].Urgent, f.exposures.msgs[i].Attempts = outbox.Pending, false, 0
			return f.exposures.msgs[i].Message, nil
		}
	}
	return outbox.Message{}, fmt.Errorf("message %d: %w", id, outbox.ErrNotDead)
}

func (f *fakeBackend) DiscardMessage(ctx context.Context, id uint64, reason string) (outbox.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.exposures.discarded = append(f.exposures.discarded, fmt.Sprintf("%d: %s", id, reason))
	for i, m := range f.exposures.msgs {
		if m.ID == id {
			f.exposures.msgs[i].State, f.exposures.msgs[i].Discarded, f.exposures.msgs[i].DiscardReason = outbox.Dead, true, reason
			return f.exposures.msgs[i].Message, nil
		}
	}
	return outbox.Message{}, outbox.ErrNotFound
}

// EnterExposure checks with the real rules, as the agent does.
func (f *fakeBackend) EnterExposure(ctx context.Context, in exposure.Input) (exposure.Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.exposures.entered = append(f.exposures.entered, in)
	return exposure.Rules{Drugs: map[string]string{"Isoniazid": "EX_INH", "Rifapentine": "EX_RPT"}}.Check(in)
}

func (f *fakeBackend) ImportExposures(ctx context.Context, path string, reject func(exposure.Entry)) (agent.ImportResult, error) {
	f.mu.Lock()
	f.exposures.imported = append(f.exposures.imported, path)
	f.mu.Unlock()
	for line := 3; line < 3+14; line++ {
		reject(exposure.Entry{Line: line, Reason: "start date is empty"})
	}
	return agent.ImportResult{Imported: 40, Rejected: 14}, nil
}

// msg is an exposure message of subject's drug on date, in state st.
func exposureMsg(id uint64, st outbox.State, subject, drug, date string) outbox.Listed {
	form := map[string]string{"Isoniazid": "EX_INH", "Rifapentine": "EX_RPT"}[drug]
	line := exposure.LogLine{Key: exposure.Key{Subject: subject, Form: form, StartDate: date}, Site: subject[:3], Drug: drug,
		Values: exposure.Values{StartTime: "08:30", Prescribed: "2", Taken: "1", Mode: "Video", WithFood: "Yes"}}
	p, _ := json.Marshal(line)
	return outbox.Listed{Message: outbox.Message{ID: id, Kind: outbox.KindExposure, Key: "ALPHA(Prod)/" + subject + "/" + form + "/" + date,
		Payload: p, State: st, Updated: time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)}}
}

// sendService is the exposure send service with the given queue figures.
func exposureSendService(f map[string]int) agent.ServiceState {
	st := agent.ServiceState{Name: "Send exposures to Rave", Engine: agent.EngineSend, Subject: outbox.KindExposure, Remote: agent.RemoteRave, Runs: 1}
	for _, n := range []string{"pending", "sending", "held", "dead", "urgent", "blocked", "done", "discarded"} {
		st.Queue = append(st.Queue, agent.Figure{Name: n, Value: f[n]})
	}
	return st
}

func openExposures(t *testing.T, f *fakeBackend, services ...agent.ServiceState) (*UI, *exposuresScreen, fyne.Window) {
	t.Helper()
	f.snap.Services = services
	u, w := openOn(t, f, Options{}, exposuresNav)
	return u, u.content[exposuresNav].(*exposuresView).screen, w
}

func TestExposuresEmpty(t *testing.T) {
	f := newFake(0)
	_, s, w := openExposures(t, f, exposureSendService(nil))
	mustShow(t, w, "No dose records are queued", "Send now", "Import a file…")
	if s.busy.Visible() || s.offline.Visible() || len(s.urgent.Objects) != 0 {
		t.Error("an empty queue shows activity, an offline warning or urgent records")
	}
	if s.sendNow.Disabled() {
		t.Error("Send now is disabled while the send service runs")
	}
}

func TestExposuresBusy(t *testing.T) {
	f := newFake(0)
	f.exposures.msgs = []outbox.Listed{exposureMsg(1, outbox.Sending, "101-001", "Isoniazid", "2025-03-03"),
		exposureMsg(2, outbox.Pending, "101-002", "Isoniazid", "2025-03-03"), exposureMsg(3, outbox.Done, "101-003", "Isoniazid", "2025-03-03")}
	f.exposures.msgs[2].Reference = "ref-77"
	svc := exposureSendService(map[string]int{"sending": 1, "pending": 1, "done": 1})
	svc.Running = true
	u, s, w := openExposures(t, f, svc)
	if !s.busy.Visible() {
		t.Error("no activity shown while records are being sent")
	}
	mustShow(t, w, "1 sending · 1 pending · 1 done")
	if s.empty.Visible() {
		t.Error("the empty-queue text shows over a list")
	}
	// Sending ends: the activity goes, the list is read again.
	f.mu.Lock()
	for i := range f.exposures.msgs {
		f.exposures.msgs[i].State = outbox.Done
	}
	f.mu.Unlock()
	f.setSnap(t, u, func(sn *agent.Snapshot) {
		sn.Services = []agent.ServiceState{exposureSendService(map[string]int{"done": 3})}
	})
	if s.busy.Visible() {
		t.Error("activity still shown after sending ended")
	}
	mustShow(t, w, "3 done")
	test.Tap(s.sendNow)
	u.bridge.wait()
	if f.kicked() != 1 || f.kicks[0] != agent.EngineSend {
		t.Errorf("Send now kicked %v", f.kicks)
	}
}

func TestExposuresDeadShowsReasonAndRetries(t *testing.T) {
	f := newFake(0)
	dead := exposureMsg(4, outbox.Dead, "102-001", "Isoniazid", "2025-03-04")
	dead.Attempts, dead.Status, dead.ReasonCode = 3, 404, "RWS00023"
	dead.Origin = "/ODM/ClinicalData[1]/SubjectData[1]"
	dead.Error = "HTTP 404: RWS00023: Subject 102-001 not found."
	dead.Advice = exposure.Route(exposure.Refusal{Status: 404, ReasonCode: "RWS00023", Origin: dead.Origin}).Advice
	blocked := exposureMsg(9, outbox.Pending, "102-001", "Isoniazid", "2025-03-04")
	blocked.BlockedBy = 4
	f.exposures.msgs = []outbox.Listed{blocked, dead}
	u, s, w := openExposures(t, f, exposureSendService(map[string]int{"dead": 1, "blocked": 1, "pending": 1}))
	if s.msgs[0].ID != 4 {
		t.Fatalf("the dead record is not listed first: %v", s.msgs)
	}
	s.table.Select(widget.TableCellID{Row: 0, Col: 0})
	for _, want := range []string{"Not delivered after 3 attempts", "Rave's reason code: RWS00023",
		"Where Rave found the problem (ErrorOriginLocation): /ODM/ClinicalData[1]/SubjectData[1]",
		"Contact the client", "Later changes of this log line wait"} {
		if !strings.Contains(s.detail.Text, want) {
			t.Errorf("detail %q lacks %q", s.detail.Text, want)
		}
	}
	if s.retry.Disabled() || s.discard.Disabled() {
		t.Fatal("Retry or Discard… disabled for a dead record")
	}
	s.table.Select(widget.TableCellID{Row: 1, Col: 0})
	if !strings.Contains(s.detail.Text, "Waiting behind record 4") || !s.retry.Disabled() {
		t.Errorf("the blocked record: %q, retry enabled %v", s.detail.Text, !s.retry.Disabled())
	}
	s.table.Select(widget.TableCellID{Row: 0, Col: 0})
	test.Tap(s.retry)
	u.bridge.wait()
	if !slices.Equal(f.exposures.retried, []uint64{4}) {
		t.Fatalf("retried %v", f.exposures.retried)
	}
	mustShow(t, w, "Record 4 is queued again.")
}

func TestExposuresUrgentOnTopInRed(t *testing.T) {
	f := newFake(0)
	urgent := exposureMsg(7, outbox.Dead, "103-004", "Rifapentine", "2025-03-05")
	urgent.Attempts, urgent.Urgent, urgent.ReasonCode = 1, true, "RWS00033"
	urgent.Origin = "/ODM/ClinicalData[1]/SubjectData[1]/StudyEventData[1]/FormData[1]"
	urgent.Advice = exposure.Route(exposure.Refusal{Status: 404, ReasonCode: "RWS00033", Origin: urgent.Origin}).Advice
	f.exposures.msgs = []outbox.Listed{exposureMsg(1, outbox.Done, "101-001", "Isoniazid", "2025-03-03"), urgent}
	u, s, w := openExposures(t, f, exposureSendService(map[string]int{"dead": 1, "urgent": 1, "done": 1}))
	mustBeRed(t, w, "URGENT: 103-004, Rifapentine, 2025-03-05. Rave refused the dose for this drug's form")
	if len(s.urgent.Objects) != 1 || s.msgs[0].ID != 7 {
		t.Fatalf("urgent lines %d, first listed %d", len(s.urgent.Objects), s.msgs[0].ID)
	}
	// Discard… from the urgent line asks for a reason; a blank one is refused.
	var discard *widget.Button
	for _, b := range buttonsWithin(s.urgent) {
		if b.Text == "Discard…" {
			discard = b
		}
	}
	test.Tap(discard)
	if s.dialog == nil {
		t.Fatal("Discard… opened no dialog")
	}
	test.Type(s.reason, "   ")
	s.dialog.Submit()
	u.bridge.wait()
	if len(f.exposures.discarded) != 0 || s.dialog == nil {
		t.Fatalf("a blank reason was accepted: %v", f.exposures.discarded)
	}
	s.reason.SetText("patient is on Arm B; dose recorded in error")
	s.dialog.Submit()
	u.bridge.wait()
	if !slices.Equal(f.exposures.discarded, []string{"7: patient is on Arm B; dose recorded in error"}) {
		t.Fatalf("discarded %v", f.exposures.discarded)
	}
	mustShow(t, w, "Record 7 discarded.")
	if len(s.urgent.Objects) != 0 {
		t.Error("the discarded record is still shown as urgent")
	}
}

func TestExposuresOffline(t *testing.T) {
	f := newFake(0)
	f.exposures.msgs = []outbox.Listed{exposureMsg(1, outbox.Held, "101-001", "Isoniazid", "2025-03-03"),
		exposureMsg(2, outbox.Held, "101-002", "Isoniazid", "2025-03-03"), exposureMsg(3, outbox.Held, "101-003", "Isoniazid", "2025-03-03")}
	svc := exposureSendService(map[string]int{"held": 3})
	svc.Offline, svc.Err = true, "rave: POST webservice.aspx: offline since 09:12:00: 127.0.0.1:8378 refused the connection"
	_, s, w := openExposures(t, f, svc)
	mustBeRed(t, w, "Rave cannot be reached, so 3 dose records are waiting. Nothing is lost")
	mustShow(t, w, "3 held")
	s.table.Select(widget.TableCellID{Row: 0, Col: 0})
	if !strings.Contains(s.detail.Text, "sent as soon as it answers; no attempt is spent") {
		t.Errorf("held record detail %q", s.detail.Text)
	}
}

func TestExposuresStoppedAndListError(t *testing.T) {
	f := newFake(0)
	f.exposures.listErr = errors.New("store is locked by another trialsync (pid 4242)")
	svc := exposureSendService(nil)
	svc.Stopped, svc.Err, svc.Hint = true, "credential rave.password rejected", "Set rave.password again (Settings, or trialsync creds set rave.password) and this starts again."
	_, _, w := openExposures(t, f, svc)
	mustBeRed(t, w, "Sending has stopped: credential rave.password rejected")
	mustBeRed(t, w, "Could not read the queue: store is locked")
}

func TestExposuresFormShowsProblemsBesideFields(t *testing.T) {
	f := newFake(0)
	u, s, w := openExposures(t, f, exposureSendService(nil))
	s.tabs.SelectIndex(1)
	form := s.form
	set := func(vals map[string]string) {
		for _, fd := range doseFields {
			form.entries[fd.name].SetText(vals[fd.name])
		}
	}
	set(map[string]string{exposure.FieldSubject: "101-001", exposure.FieldSite: "1010", exposure.FieldDrug: "Aspirin",
		exposure.FieldStartDate: "03/03/2025", exposure.FieldPrescribed: "2", exposure.FieldTaken: "-1", exposure.FieldMode: "Video"})
	test.Tap(form.save)
	u.bridge.wait()
	want := map[string]string{
		exposure.FieldSite:      "Site code \"1010\" must be 3 characters",
		exposure.FieldDrug:      "Drug \"Aspirin\" is not one of the study's drugs",
		exposure.FieldStartDate: "not a real date written YYYY-MM-DD",
		exposure.FieldTaken:     "Tablets taken \"-1\" is not a number",
		exposure.FieldMode:      "must be empty when the start time is empty",
	}
	for _, fd := range doseFields {
		got := form.errs[fd.name]
		if w, ok := want[fd.name]; ok {
			if !strings.Contains(got.Text, w) || got.Importance != widget.DangerImportance {
				t.Errorf("%s: beside it %q, want %q in red", fd.name, got.Text, w)
			}
		} else if got.Text != "" {
			t.Errorf("%s: beside it %q, want nothing", fd.name, got.Text)
		}
	}
	if form.result.Visible() {
		t.Error("an invalid record was reported queued")
	}

	set(map[string]string{exposure.FieldSubject: "101-001", exposure.FieldSite: "101", exposure.FieldDrug: "Isoniazid",
		exposure.FieldStartDate: "2025-03-03", exposure.FieldStartTime: "08:30", exposure.FieldPrescribed: "2",
		exposure.FieldTaken: "2", exposure.FieldMode: "Video", exposure.FieldWithFood: "Yes"})
	test.Tap(form.save)
	u.bridge.wait()
	for name, l := range form.errs {
		if l.Text != "" {
			t.Errorf("%s still shows %q after a valid entry", name, l.Text)
		}
	}
	mustShow(t, w, "Queued for Rave: 101-001, Isoniazid, 2025-03-03.")
	if n := len(f.exposures.entered); n != 2 {
		t.Errorf("%d records reached the agent, want 2", n)
	}
}

func TestExposuresCorrectFillsTheForm(t *testing.T) {
	f := newFake(0)
	f.exposures.msgs = []outbox.Listed{exposureMsg(5, outbox.Done, "102-003", "Rifapentine", "2025-03-06")}
	_, s, _ := openExposures(t, f, exposureSendService(map[string]int{"done": 1}))
	s.table.Select(widget.TableCellID{Row: 0, Col: 0})
	test.Tap(s.correct)
	if s.tabs.SelectedIndex() != 1 {
		t.Fatal("Correct… did not open the form")
	}
	if got := s.form.input(); got.Subject != "102-003" || got.Drug != "Rifapentine" || got.StartDate != "2025-03-06" || got.Taken != "1" {
		t.Errorf("form holds %+v", got)
	}
}

func TestExposuresImportAFile(t *testing.T) {
	f := newFake(0)
	u, s, w := openExposures(t, f, exposureSendService(nil))
	test.Tap(s.importer)
	if len(w.Canvas().Overlays().List()) == 0 {
		t.Fatal("Import a file… opened no file dialog")
	}
	w.Canvas().Overlays().Top().Hide()
	path := filepath.Join(t.TempDir(), "doses.csv")
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.importFile(path) // what the dialog does with the chosen file
	u.bridge.wait()
	if !slices.Equal(f.exposures.imported, []string{path}) {
		t.Fatalf("imported %v", f.exposures.imported)
	}
	mustShow(t, w, path+": imported 40, rejected 14.")
	mustBeRed(t, w, path+":3: start date is empty")
	if strings.Count(s.rejected.Text, "start date is empty") != maxShownRejections || !strings.Contains(s.rejected.Text, "(and 4 more)") {
		t.Errorf("rejections shown: %q", s.rejected.Text)
	}
}

// buttonsIn is every button in o.
func buttonsWithin(o fyne.CanvasObject) []*widget.Button {
	switch x := o.(type) {
	case *widget.Button:
		return []*widget.Button{x}
	case *fyne.Container:
		var out []*widget.Button
		for _, c := range x.Objects {
			out = append(out, buttonsWithin(c)...)
		}
		return out
	}
	return nil
}
