package sureadhere

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/store/storetest"
	"github.com/trialsync/trialsync/sync/outbox"
	simsureadhere "github.com/trialsync/trialsync/sync/sim/sureadhere"
)

const testStudy = "ALPHA(Prod)"

// harness is a subject push on a real store and a real outbox, talking to a real SureAdhere
// simulator on loopback (or to an address where nothing listens).
type harness struct {
	t      *testing.T
	db     *store.DB
	ob     *outbox.Outbox
	eng    *Engine
	sim    *simsureadhere.Server // nil while SureAdhere is down
	addr   string
	client *Client
}

var testRegimens = map[string]string{"Arm A": "Group 1", "Arm B": "Group 2"}

// newHarness starts a simulator with opts (down: none, at an address where nothing listens) and a
// subject push for ALPHA(Prod), arm item RAND.ARM, Arm A -> Group 1, Arm B -> Group 2.
func newHarness(t *testing.T, opts simsureadhere.Options, token string, down bool) *harness {
	t.Helper()
	h := &harness{t: t, db: storetest.Open(t, store.Options{})}
	if down {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		h.addr = l.Addr().String()
		l.Close()
	} else {
		h.sim = startSim(t, opts)
		h.addr = h.sim.Addr()
	}
	h.client, _ = newTestClient(t, "http://"+h.addr, token)
	h.ob = outbox.New(h.db, outbox.Options{RetryInterval: 10 * time.Millisecond, MaxRetryInterval: 50 * time.Millisecond})
	h.eng = h.engine(testRegimens)
	return h
}

// engine builds the subject push with regimens (registering its sender on the harness's outbox).
func (h *harness) engine(regimens map[string]string) *Engine {
	e := NewEngine(Options{DB: h.db, Studies: []Study{{OID: testStudy, ArmItem: "RAND.ARM"}},
		Regimens: regimens, Client: func(context.Context) (*Client, error) { return h.client, nil }})
	h.ob.Register(outbox.KindSubject, e, e.Policy())
	return e
}

// setArm stores a subject's RAND.ARM as the Rave pull would ("" stores a null value).
func (h *harness) setArm(site, subject, arm string) {
	h.t.Helper()
	k := store.ClinicalKey{Study: testStudy, Site: site, Subject: subject, Event: "SCREEN", Form: "RAND", FormRepeat: "1",
		ItemGroup: "RAND", Item: "RAND.ARM"}
	v := store.ClinicalValue{Value: arm, IsNull: arm == "", Source: "dataset"}
	err := h.db.Update(h.t.Context(), func(tx *store.Tx) error {
		_, err := tx.Clinical().Upsert(&k, &v)
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

// push runs one Push and fails the test on an error.
func (h *harness) push() Result {
	h.t.Helper()
	res, err := h.eng.Push(h.t.Context(), h.ob)
	if err != nil {
		h.t.Fatalf("push: %v", err)
	}
	return res
}

// row returns the subject's row.
func (h *harness) row(subject string) Row {
	h.t.Helper()
	rows, err := List(h.t.Context(), h.db)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, r := range rows {
		if r.ID == subject {
			return r
		}
	}
	h.t.Fatalf("no row for %s among %d", subject, len(rows))
	return Row{}
}

// messages returns the subject messages of the outbox.
func (h *harness) messages() []outbox.Listed {
	h.t.Helper()
	ms, err := outbox.List(h.t.Context(), h.db, outbox.Filter{Kinds: []string{outbox.KindSubject}})
	if err != nil {
		h.t.Fatal(err)
	}
	return ms
}

// entries returns the audit entries of an action about an object.
func (h *harness) entries(action, object string) []store.Entry {
	h.t.Helper()
	all, err := h.db.Entries(h.t.Context(), 0, 1<<20)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []store.Entry
	for _, e := range all {
		if e.Action == action && (object == "" || e.Object == object) {
			out = append(out, e)
		}
	}
	return out
}

// patients is what SureAdhere holds, MRN -> regimen@site.
func (h *harness) patients() map[string]string {
	out := map[string]string{}
	for _, p := range h.sim.Patients() {
		out[p.MRN] = p.Regimen + "@" + p.SiteCode
	}
	return out
}
