package sureadhere

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/outbox"
	"github.com/trialsync/trialsync/sync/remote"
	simsureadhere "github.com/trialsync/trialsync/sync/sim/sureadhere"
)

// TestPushPaths: each of SureAdhere's answers ends the subject in the right state, end to end: the
// clinical store, discovery, the outbox, the client, the simulator.
func TestPushPaths(t *testing.T) {
	t.Run("201 created", func(t *testing.T) {
		h := newHarness(t, simsureadhere.Options{}, simToken, false)
		h.setArm("101", "101-001", "Arm A")
		h.setArm("102", "102-001", "Arm B")
		res := h.push()
		if res.Queued != 2 || res.Sent != 2 || res.Dead != 0 {
			t.Fatalf("result %+v", res)
		}
		want := map[string]string{"101-001": "Group 1@101", "102-001": "Group 2@102"}
		if got := h.patients(); len(got) != 2 || got["101-001"] != want["101-001"] || got["102-001"] != want["102-001"] {
			t.Fatalf("SureAdhere holds %v, want %v", got, want)
		}
		r := h.row("101-001")
		if r.Status() != StatusPushed || r.Pushed == nil || r.Pushed.Status != 201 || r.Pushed.PatientID == 0 || r.Delivery != outbox.Done {
			t.Fatalf("row %+v", r)
		}
		if n := len(h.entries(store.ActionSubjectPush, r.Object())); n != 2 { // queued, pushed
			t.Fatalf("%d subject.push entries, want 2", n)
		}
	})
	t.Run("409 already there is delivered", func(t *testing.T) {
		h := newHarness(t, simsureadhere.Options{}, simToken, false)
		seedPatient(t, h.sim) // 101-001 registered by hand, Group 1
		h.setArm("101", "101-001", "Arm A")
		res := h.push()
		r := h.row("101-001")
		if res.Sent != 1 || r.Status() != StatusPushed || r.Pushed.Status != 409 {
			t.Fatalf("result %+v, row %+v", res, r)
		}
		if h.sim.Count("409") != 1 || len(h.sim.Patients()) != 1 {
			t.Fatalf("SureAdhere answered %d 409s and holds %d patients", h.sim.Count("409"), len(h.sim.Patients()))
		}
	})
	t.Run("400 bad body is dead with its reason", func(t *testing.T) {
		h := newHarness(t, simsureadhere.Options{}, simToken, false)
		h.setArm("104", "104-001", "Arm A") // SureAdhere's workspace has sites 101-103
		h.setArm("101", "101-002", "Arm A")
		res := h.push()
		r := h.row("104-001")
		if res.Dead != 1 || res.Sent != 1 || r.Status() != "dead" || r.Attempts != 1 || !r.NeedsPerson() {
			t.Fatalf("result %+v, row %+v", res, r)
		}
		if !strings.Contains(r.Error, `Site code "104" does not exist in this workspace.`) || !strings.Contains(r.Advice, "Site 104 does not exist") {
			t.Fatalf("the dead message does not say why or what to do: %q / %q", r.Error, r.Advice)
		}
		if got := h.patients(); len(got) != 1 || got["101-002"] != "Group 1@101" {
			t.Fatalf("the other subject did not go: %v", got)
		}
	})
	t.Run("400 bad token stops delivery for a person", func(t *testing.T) {
		h := newHarness(t, simsureadhere.Options{}, "not-the-token", false)
		h.setArm("101", "101-001", "Arm A")
		h.setArm("101", "101-002", "Arm B")
		res, err := h.eng.Push(t.Context(), h.ob)
		var te *TokenError
		if !errors.As(err, &te) || !remote.IsFatal(err) || !errors.Is(err, remote.ErrCredentialRejected) {
			t.Fatalf("err %v (%T)", err, err)
		}
		// The run stops at the refusal: the sends already in flight beside it meet it too, none is retried.
		if res.Queued != 2 || h.sim.Count("400") < 1 || h.sim.Count("400") > 2 {
			t.Fatalf("result %+v; SureAdhere saw %d 400s, want one per send in flight at most", res, h.sim.Count("400"))
		}
		for _, s := range []string{"101-001", "101-002"} {
			if r := h.row(s); r.Status() != "pending" || r.Attempts != 0 {
				t.Fatalf("%s after a refused token: %s after %d attempts, want pending with the attempt given back", s, r.Status(), r.Attempts)
			}
		}
		if strings.Contains(err.Error(), "not-the-token") {
			t.Fatal("the error shows the token")
		}
		// A new token: the same messages go, once each.
		h.client, _ = newTestClient(t, h.sim.URL(), simToken)
		if res := h.push(); res.Sent != 2 || len(h.patients()) != 2 {
			t.Fatalf("after the token was replaced: %+v, %d patients", res, len(h.patients()))
		}
	})
	t.Run("throttled is waited out", func(t *testing.T) {
		h := newHarness(t, simsureadhere.Options{Rate: 2, Burst: 1}, simToken, false)
		for _, s := range []string{"101-001", "101-002", "101-003"} {
			h.setArm("101", s, "Arm A")
		}
		res := h.push()
		if res.Sent != 3 || res.Dead != 0 || h.sim.Count("throttled") == 0 {
			t.Fatalf("result %+v, %d throttled", res, h.sim.Count("throttled"))
		}
		if got := h.patients(); len(got) != 3 {
			t.Fatalf("SureAdhere holds %v", got)
		}
	})
	t.Run("down is held, then delivered when it answers", func(t *testing.T) {
		h := newHarness(t, simsureadhere.Options{}, simToken, true)
		h.setArm("101", "101-001", "Arm A")
		h.setArm("102", "102-001", "Arm B")
		res := h.push()
		if res.Held != 2 || res.Sent != 0 || len(res.Offline) != 1 {
			t.Fatalf("result %+v", res)
		}
		for _, s := range []string{"101-001", "102-001"} {
			if r := h.row(s); r.Status() != "held" || r.Attempts != 0 {
				t.Fatalf("%s while SureAdhere is down: %s after %d attempts", s, r.Status(), r.Attempts)
			}
		}
		sim, err := simsureadhere.Start(h.addr, simsureadhere.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sim.Close() })
		h.sim = sim
		select {
		case <-res.Offline[0].Ready:
		case <-time.After(30 * time.Second):
			t.Fatal("the held messages were never told SureAdhere is back")
		}
		res = h.push()
		if res.Sent != 2 || res.Held != 0 || len(h.patients()) != 2 {
			t.Fatalf("after SureAdhere came back: %+v, patients %v", res, h.patients())
		}
		if r := h.row("101-001"); r.Status() != StatusPushed || r.Attempts != 1 {
			t.Fatalf("row %+v", r)
		}
	})
}

// TestSecondPushSendsNothing: pushing the same state again queues nothing, sends nothing and records
// nothing.
func TestSecondPushSendsNothing(t *testing.T) {
	h := newHarness(t, simsureadhere.Options{}, simToken, false)
	h.setArm("101", "101-001", "Arm A")
	h.setArm("101", "101-002", "Arm B")
	h.setArm("101", "101-003", "Arm C") // unmapped: a problem, and still nothing the second time
	h.push()
	ingests := h.sim.Count("ingest")
	msgs := len(h.messages())
	audit, _ := h.db.Checkpoint(t.Context())
	res := h.push()
	after, _ := h.db.Checkpoint(t.Context())
	if res.Queued != 0 || res.Unmapped != 0 || res.Sent != 0 || h.sim.Count("ingest") != ingests || len(h.messages()) != msgs || after.Count != audit.Count {
		t.Fatalf("second push: %+v; ingests %d -> %d, messages %d -> %d, audit %d -> %d", res, ingests, h.sim.Count("ingest"),
			msgs, len(h.messages()), audit.Count, after.Count)
	}
}

// TestArmChangeAfterPush: Rave's arm changing after the push is flagged for a person and never sent;
// the person's acknowledgement is recorded and sends nothing; a later change is flagged anew.
func TestArmChangeAfterPush(t *testing.T) {
	h := newHarness(t, simsureadhere.Options{}, simToken, false)
	h.setArm("101", "101-012", "Arm A")
	h.push()
	ingests := h.sim.Count("ingest")

	h.setArm("101", "101-012", "Arm B")
	res := h.push()
	r := h.row("101-012")
	if res.Flagged != 1 || res.Queued != 0 || r.Status() != StatusArmChanged || !r.NeedsPerson() {
		t.Fatalf("result %+v, row %s", res, r.Status())
	}
	if c := r.Change; c == nil || c.From != "Arm A" || c.To != "Arm B" || c.FromRegimen != "Group 1" || c.ToRegimen != "Group 2" || c.Acknowledged != nil {
		t.Fatalf("change %+v", r.Change)
	}
	if h.sim.Count("ingest") != ingests || len(h.messages()) != 1 || h.patients()["101-012"] != "Group 1@101" {
		t.Fatalf("the arm change was sent: %d ingests (was %d), %d messages, SureAdhere %v", h.sim.Count("ingest"), ingests, len(h.messages()), h.patients())
	}
	if es := h.entries(store.ActionSubjectArmChange, r.Object()); len(es) != 1 || !strings.Contains(es[0].New, `"Arm A" -> "Arm B"`) {
		t.Fatalf("arm change entries %+v", es)
	}
	// Pushing again flags nothing more.
	if res := h.push(); res.Flagged != 0 || h.sim.Count("ingest") != ingests {
		t.Fatalf("a second push after the change: %+v", res)
	}

	// The person decides.
	if _, err := Acknowledge(t.Context(), h.db, "crc.jones", testStudy, "101-012", "  "); !errors.Is(err, ErrNoReason) {
		t.Fatalf("acknowledging without a reason: %v", err)
	}
	if _, err := Acknowledge(t.Context(), h.db, "crc.jones", testStudy, "101-099", "x"); !errors.Is(err, ErrNoSubject) {
		t.Fatalf("acknowledging an unknown subject: %v", err)
	}
	got, err := Acknowledge(t.Context(), h.db, "crc.jones", testStudy, "101-012", "regimen changed to Group 2 in SureAdhere by hand")
	if err != nil || got.State != StatePushed || got.Change.Acknowledged == nil || got.Change.Acknowledged.By != "crc.jones" {
		t.Fatalf("acknowledge: %+v %v", got, err)
	}
	if _, err := Acknowledge(t.Context(), h.db, "crc.jones", testStudy, "101-012", "again"); !errors.Is(err, ErrNoArmChange) {
		t.Fatalf("acknowledging twice: %v", err)
	}
	es := h.entries(store.ActionSubjectArmAcknowledge, got.Object())
	if len(es) != 1 || es[0].Actor != "crc.jones" || es[0].Reason != "regimen changed to Group 2 in SureAdhere by hand" {
		t.Fatalf("acknowledgement entries %+v", es)
	}
	if res := h.push(); res.Flagged != 0 || res.Queued != 0 || h.row("101-012").Status() != StatusPushed || h.sim.Count("ingest") != ingests {
		t.Fatalf("push after the acknowledgement: %+v, %s", res, h.row("101-012").Status())
	}

	// Rave goes back to the pushed arm: nothing to decide; then away again: flagged anew.
	h.setArm("101", "101-012", "Arm A")
	if res := h.push(); res.Settled != 1 || h.row("101-012").Change != nil {
		t.Fatalf("back to the pushed arm: %+v, change %+v", res, h.row("101-012").Change)
	}
	h.setArm("101", "101-012", "Arm B")
	if res := h.push(); res.Flagged != 1 || h.row("101-012").Status() != StatusArmChanged {
		t.Fatalf("changed again: %+v", res)
	}
	if h.sim.Count("ingest") != ingests {
		t.Fatalf("%d ingests after all the changes, want %d", h.sim.Count("ingest"), ingests)
	}
}

// TestUnmappedArm: an arm without a regimen is a problem shown, not a send; once mapped, it goes.
func TestUnmappedArm(t *testing.T) {
	h := newHarness(t, simsureadhere.Options{Regimens: []string{"Group 1", "Group 2", "Group 3"}}, simToken, false)
	h.setArm("101", "101-001", "Arm C")
	res := h.push()
	r := h.row("101-001")
	if res.Unmapped != 1 || res.Queued != 0 || r.Status() != StatusUnmapped || !strings.Contains(r.Problem, `arm "Arm C" has no SureAdhere regimen`) || !r.NeedsPerson() {
		t.Fatalf("result %+v, row %+v", res, r)
	}
	if len(h.messages()) != 0 || h.sim.Count("ingest") != 0 {
		t.Fatal("an unmapped arm was queued or sent")
	}
	h.eng = h.engine(map[string]string{"Arm A": "Group 1", "Arm B": "Group 2", "Arm C": "Group 3"})
	res = h.push()
	if res.Queued != 1 || res.Sent != 1 || h.patients()["101-001"] != "Group 3@101" {
		t.Fatalf("once mapped: %+v, %v", res, h.patients())
	}
}

// TestChangeBeforeSend: edits of a subject made before its send coalesce into one send of the last
// state; an arm that loses its regimen before the send sends nothing.
func TestChangeBeforeSend(t *testing.T) {
	h := newHarness(t, simsureadhere.Options{}, simToken, false)
	h.setArm("101", "101-001", "Arm A")
	h.setArm("101", "101-002", "Arm A")
	if d, err := h.eng.Discover(t.Context()); err != nil || d.Queued != 2 {
		t.Fatalf("discover: %+v %v", d, err)
	}
	h.setArm("101", "101-001", "Arm B")
	h.setArm("101", "101-002", "Arm C")
	if d, err := h.eng.Discover(t.Context()); err != nil || d.Queued != 1 || d.Unmapped != 1 {
		t.Fatalf("discover after the edits: %+v %v", d, err)
	}
	if ms := h.messages(); len(ms) != 2 || ms[0].Edits != 1 {
		t.Fatalf("messages %+v: want the edit coalesced into the first message", ms)
	}
	rep, err := h.eng.Deliver(t.Context(), h.ob)
	if err != nil || rep.Sent != 2 || rep.Skipped != 1 {
		t.Fatalf("deliver: %+v %v", rep, err)
	}
	if got := h.patients(); len(got) != 1 || got["101-001"] != "Group 2@101" {
		t.Fatalf("SureAdhere holds %v, want only 101-001 with Group 2", got)
	}
	if r := h.row("101-002"); r.Status() != StatusUnmapped {
		t.Fatalf("101-002 is %s", r.Status())
	}
}

// TestArmChangeInFlight: Rave's arm changing while the push is in flight is flagged when the push is
// acknowledged; the change queued behind it is never sent.
func TestArmChangeInFlight(t *testing.T) {
	h := newHarness(t, simsureadhere.Options{Faults: "slow:400ms"}, simToken, false)
	h.setArm("101", "101-001", "Arm A")
	if _, err := h.eng.Discover(t.Context()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := h.eng.Deliver(t.Context(), h.ob)
		done <- err
	}()
	deadline := time.Now().Add(30 * time.Second)
	for h.row("101-001").Delivery != outbox.Sending {
		if time.Now().After(deadline) {
			t.Fatal("the push never went out")
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.setArm("101", "101-001", "Arm B")
	if d, err := h.eng.Discover(t.Context()); err != nil || d.Queued != 1 {
		t.Fatalf("discover while in flight: %+v %v", d, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := h.eng.Deliver(t.Context(), h.ob); err != nil {
		t.Fatal(err)
	}
	r := h.row("101-001")
	if r.Status() != StatusArmChanged || r.Change == nil || r.Change.To != "Arm B" || h.sim.Count("ingest") != 1 || h.patients()["101-001"] != "Group 1@101" {
		t.Fatalf("row %s %+v, %d ingests, SureAdhere %v", r.Status(), r.Change, h.sim.Count("ingest"), h.patients())
	}
	if ms := h.messages(); len(ms) != 2 || ms[1].State != outbox.Done || ms[1].Note == "" {
		t.Fatalf("messages %+v: want the second done without a send, with a note", ms)
	}
}
