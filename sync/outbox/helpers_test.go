package outbox

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/store/storetest"
)

// Unit tests use go-keyring's in-memory mock, and rapid's fail files stay off unless asked for: a
// failing property test prints its seed and steps, and `go test` must not write into testdata/.
func TestMain(m *testing.M) {
	keyring.MockInit()
	flag.Parse()
	if f := flag.Lookup("rapid.nofailfile"); f != nil && !isSet("rapid.nofailfile") {
		_ = f.Value.Set("true")
	}
	os.Exit(m.Run())
}

func isSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// payload is what the tests queue: a key's desired value.
type payload struct {
	V int `json:"v"`
}

// step is what the scripted remote does with one request.
type step int

const (
	ok          step = iota // acknowledged
	transient               // a 503: retried
	refused                 // a 4xx that cannot succeed: dead at once
	down                    // unreachable: held
	fatalStep               // a credential rejected: the run stops
	crashSent               // the remote applies it, then the process dies before the answer is recorded
	crashUnsent             // the process dies with the request in flight, before the remote saw it
)

// remoteSim is a scripted remote: it answers each request with the next step of its script (ok when
// the script is empty), records what reached it, and can block an attempt until released.
type remoteSim struct {
	mu     sync.Mutex
	script []step
	// keyScript, when it has steps for a key, answers that key\'s requests before script does.
	keyScript           map[string][]step
	applied             map[string][]uint64 // key -> message IDs applied, in order
	values              map[string]int      // key -> the value it holds
	calls               []call
	ready               chan struct{}
	inFlight, maxFlight int
	perKey              map[string]int
	overlap             bool // a key had two requests in flight at once
	// gate, when set, blocks every request until it is closed; entered receives each blocked one.
	gate chan struct{}
	// crash, when set, ends the run as a kill would (cancels its context) at a crash step.
	crash   func()
	entered chan Message
}

type call struct {
	id             uint64
	claim, idemKey string
	attempt        int
	step           step
}

func newRemote(script ...step) *remoteSim {
	return &remoteSim{script: script, applied: map[string][]uint64{}, values: map[string]int{},
		ready: make(chan struct{}), perKey: map[string]int{}, keyScript: map[string][]step{}}
}

// offlineErr is an unreachable remote, as remote.OfflineError says it.
type offlineErr struct{ ready chan struct{} }

func (e offlineErr) Error() string          { return "rave: offline: 127.0.0.1:9 refused the connection" }
func (e offlineErr) Ready() <-chan struct{} { return e.ready }

// fatalErr is a credential the remote rejected.
type fatalErr struct{}

func (fatalErr) Error() string { return "rave: credential rejected" }
func (fatalErr) Fatal() bool   { return true }

func (r *remoteSim) next(key string) step {
	if ks := r.keyScript[key]; len(ks) > 0 {
		r.keyScript[key] = ks[1:]
		return ks[0]
	}
	if len(r.script) == 0 {
		return ok
	}
	s := r.script[0]
	r.script = r.script[1:]
	return s
}

func (r *remoteSim) Send(ctx context.Context, m Message) (Outcome, error) {
	r.mu.Lock()
	r.inFlight++
	r.maxFlight = max(r.maxFlight, r.inFlight)
	r.perKey[m.Key]++
	if r.perKey[m.Key] > 1 {
		r.overlap = true
	}
	gate, entered := r.gate, r.entered
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.inFlight--
		r.perKey[m.Key]--
		r.mu.Unlock()
	}()
	if gate != nil {
		if entered != nil {
			entered <- m
		}
		select {
		case <-gate:
		case <-ctx.Done():
			return Outcome{}, ctx.Err()
		}
	}
	var p payload
	if err := m.Decode(&p); err != nil {
		return Outcome{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.next(m.Key)
	r.calls = append(r.calls, call{id: m.ID, claim: m.Claim, idemKey: m.IdempotencyKey, attempt: m.Attempts, step: st})
	hash := HashOf(m.Payload)
	switch st {
	case transient:
		return Outcome{}, &Failure{Status: 503, Message: "Service Unavailable", RequestHash: hash}
	case refused:
		return Outcome{}, &Failure{Permanent: true, Status: 409, ReasonCode: "RWS00033", Message: "wrong drug",
			Origin: "/ODM/ClinicalData[1]/SubjectData[1]", Urgent: true, Advice: "call the client", RequestHash: hash}
	case down:
		return Outcome{}, fmt.Errorf("posting: %w", offlineErr{ready: r.ready})
	case fatalStep:
		return Outcome{}, fatalErr{}
	case crashUnsent:
		r.crash()
		return Outcome{}, ctx.Err()
	}
	r.applied[m.Key] = append(r.applied[m.Key], m.ID)
	r.values[m.Key] = p.V
	if st == crashSent {
		r.crash()
		return Outcome{}, ctx.Err()
	}
	return Outcome{RequestHash: hash, Status: 200, Reference: fmt.Sprintf("ref-%d-%d", m.ID, m.Attempts)}, nil
}

func (r *remoteSim) callsOf(id uint64) []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []call
	for _, c := range r.calls {
		if c.id == id {
			out = append(out, c)
		}
	}
	return out
}

// fixture is a store, an outbox over it with fast retries, and a scripted remote for kind "t".
type fixture struct {
	t   *testing.T
	db  *store.DB
	o   *Outbox
	rem *remoteSim
	// prev is the last message per key, as an engine keeps it in its own records.
	prev map[string]uint64
}

const kindT = "t"

func newFixture(t *testing.T, maxAttempts int, script ...step) *fixture {
	t.Helper()
	db := storetest.Open(t, store.Options{})
	f := &fixture{t: t, db: db, rem: newRemote(script...), prev: map[string]uint64{}}
	f.o = f.newOutbox()
	f.o.Register(kindT, f.rem, Policy{MaxAttempts: maxAttempts})
	return f
}

func (f *fixture) newOutbox() *Outbox {
	return New(f.db, Options{Concurrency: 4, RetryInterval: time.Millisecond, MaxRetryInterval: 4 * time.Millisecond,
		Fatal: func(err error) bool { return errors.As(err, new(fatalErr)) }})
}

// enqueue queues value v for key in a transaction of its own, as an engine does.
func (f *fixture) enqueue(key string, v int) Enqueued {
	f.t.Helper()
	var q Enqueued
	err := f.db.Update(f.t.Context(), func(tx *store.Tx) error {
		var err error
		q, err = Enqueue(tx, Draft{Kind: kindT, Key: key, Payload: payload{V: v}, Prev: f.prev[key]})
		return err
	})
	if err != nil {
		f.t.Fatalf("enqueue %s=%d: %v", key, v, err)
	}
	f.prev[key] = q.ID
	return q
}

func (f *fixture) deliver() Report {
	f.t.Helper()
	rep, err := f.o.Deliver(f.t.Context(), DeliverOptions{})
	if err != nil {
		f.t.Fatalf("Deliver: %v", err)
	}
	return rep
}

func (f *fixture) get(id uint64) Message {
	f.t.Helper()
	m, err := Get(f.t.Context(), f.db, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

func (f *fixture) counts() Counts {
	f.t.Helper()
	c, err := Count(f.t.Context(), f.db)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// actions returns the audit entries' actions for message id, in order.
func (f *fixture) actions(id uint64) []string {
	f.t.Helper()
	var out []string
	err := f.db.WalkEntries(f.t.Context(), 0, func(e store.Entry) error {
		if e.Object == Object(id) {
			out = append(out, strings.TrimPrefix(e.Action, "outbox."))
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func (f *fixture) entries(id uint64) []store.Entry {
	f.t.Helper()
	var out []store.Entry
	err := f.db.WalkEntries(f.t.Context(), 0, func(e store.Entry) error {
		if e.Object == Object(id) {
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func equal[T comparable](a, b []T) bool { return slices.Equal(a, b) }
