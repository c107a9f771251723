package sim

import (
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Injector decides, request by request and from one seeded generator, which fault a request meets,
// and applies it: the answers that replace the real one (429, 503, a 401 page, a redirect, a reset
// connection, a gzip bomb, an endless body) and the ones that spoil it (slow first byte, stall,
// trickle, drop, truncate). Decisions are made in request order, so a sequential client meets the
// same faults on every run. Every simulator puts its routes behind one Injector.
type Injector struct {
	f      Faults
	counts *Counts
	noGzip bool
	refuse func(w http.ResponseWriter, r *http.Request, status int)

	mu         sync.Mutex
	rng        *rand.Rand
	burstLeft  int
	afterBurst bool  // the previous request ended a burst: bursts are separated by at least one answer
	stormSeen  int64 // requests that admitted a 429 storm so far
}

// InjectorOptions configures an Injector.
type InjectorOptions struct {
	// Faults are what to inject (ParseFaults); the zero value injects nothing.
	Faults Faults
	// Counts receives one count per answer and fault (nil: the injector keeps its own, see Counts).
	Counts *Counts
	// NoGzip turns off gzip answers even when the client accepts them.
	NoGzip bool
	// Refuse writes the system's own answer for a status the injector forces instead of the real
	// answer: 429 (Retry-After already set when the fault carries one), 503, and 401 for iis401.
	// Nil writes the status text as text/plain.
	Refuse func(w http.ResponseWriter, r *http.Request, status int)
}

// NewInjector returns an injector for opts.
func NewInjector(opts InjectorOptions) *Injector {
	if opts.Counts == nil {
		opts.Counts = &Counts{}
	}
	if opts.Refuse == nil {
		opts.Refuse = func(w http.ResponseWriter, _ *http.Request, status int) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(http.StatusText(status)))
		}
	}
	seed := uint64(opts.Faults.Seed)
	return &Injector{
		f: opts.Faults, counts: opts.Counts, noGzip: opts.NoGzip, refuse: opts.Refuse,
		rng: rand.New(rand.NewPCG(mix64(seed), mix64(seed^0x7f4a7c15))),
	}
}

// Faults returns the injector's fault spec (a simulator issuing tokens reads Expire from it).
func (in *Injector) Faults() Faults { return in.f }

// Counts returns where the injector counts: the answers by status ("200", "404", …), "gzip", and one
// count per fault met ("429", "503", "iis401", "drop", "truncate", "slow", "stall", "trickle",
// "endless", "redirect", "close", "bomb").
func (in *Injector) Counts() *Counts { return in.counts }

// Route says which faults may hit a route and, for the faults that make up a body, what that
// system's body looks like there.
type Route struct {
	// Faults is the set of fault kinds the route admits.
	Faults FaultSet
	// Endless describes the route's endless body; nil means the endless fault never hits it.
	Endless func(r *http.Request) Filler
	// Bomb describes the route's gzip bomb (Unit is repeated to about 400 MiB between Head and
	// Tail); nil means the bomb fault never hits it.
	Bomb func(r *http.Request) Filler
}

// Filler is a body the injector makes up: Head, then Unit repeated (for ever, or a bounded number of
// times), then Tail. ContentType is its Content-Type.
type Filler struct {
	ContentType      string
	Head, Unit, Tail []byte
}

// verdict is what one request meets.
type verdict struct {
	slow, trickle  bool
	status         string // "", "429", "429ra", "storm", "503", "iis401"
	drop, truncate bool
	cutAt          int64
	stall, endless bool
	redirect       bool
	close, bomb    bool
}

// decide draws one request's verdict among the kinds set admits. A kind that is not configured or
// not admitted draws nothing from the generator, so adding a fault kind to the grammar leaves the
// sequence of the others unchanged.
func (in *Injector) decide(set FaultSet) verdict {
	in.mu.Lock()
	defer in.mu.Unlock()
	f, rng := in.f, in.rng
	var v verdict
	hit := func(k FaultSet, p float64) bool { return set&k != 0 && p > 0 && rng.Float64() < p }
	v.slow = f.Slow > 0 && hit(FaultSlow, f.SlowP)
	afterBurst := in.afterBurst
	in.afterBurst = false
	switch {
	case set&Fault503 != 0 && in.burstLeft > 0:
		in.burstLeft--
		in.afterBurst = in.burstLeft == 0
		v.status = "503"
	case f.BurstLen > 0 && !afterBurst && hit(Fault503, f.BurstP):
		in.burstLeft = f.BurstLen - 1
		in.afterBurst = in.burstLeft == 0
		v.status = "503"
	case hit(Fault429, f.P429):
		v.status = "429"
	case hit(Fault429, f.P429After):
		v.status = "429ra"
	case hit(FaultIIS401, f.PIIS401):
		v.status = "iis401"
	case hit(FaultDrop, f.PDrop):
		v.drop = true
	case hit(FaultTruncate, f.PTruncate):
		v.truncate = true
	}
	v.cutAt = 200 + rng.Int64N(64<<10)
	if f.StormLen > 0 && set&Fault429 != 0 {
		in.stormSeen++
		if in.stormSeen >= f.StormAt && in.stormSeen < f.StormAt+int64(f.StormLen) {
			v = verdict{slow: v.slow, status: "storm"}
		}
	}
	if v.status == "" && !v.drop && !v.truncate {
		switch {
		case hit(FaultClose, f.PClose):
			v.close = true
		case f.Redirect != "" && hit(FaultRedirect, f.RedirectP):
			v.redirect = true
		case hit(FaultBomb, f.PBomb):
			v.bomb = true
		case hit(FaultStall, f.PStall):
			v.stall = true
		case hit(FaultEndless, f.PEndless):
			v.endless = true
		}
	}
	v.trickle = f.Trickle > 0 && !v.stall && !v.bomb && !v.close && !v.redirect && v.status == "" && hit(FaultTrickle, f.TrickleP)
	return v
}

// Wrap is Serve as middleware for one route.
func (in *Injector) Wrap(rt Route, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { in.Serve(w, r, rt, h) })
}

// Serve answers r with h under the faults rt admits. h writes to an answer writer that compresses
// with gzip when the client accepts it (and the injector allows it), sends the body chunked, and
// applies the body faults; a fault that replaces the answer means h never runs. A request hit by
// drop, stall or trickle still runs h in full (a post is applied and then loses its answer, as a real
// lost response would).
func (in *Injector) Serve(w http.ResponseWriter, r *http.Request, rt Route, h http.Handler) {
	set := rt.Faults
	if rt.Endless == nil {
		set &^= FaultEndless
	}
	if rt.Bomb == nil {
		set &^= FaultBomb
	}
	v := in.decide(set)
	if v.slow {
		in.counts.Add("slow")
		if !sleep(r, in.f.Slow) {
			return
		}
	}
	switch v.status {
	case "429":
		in.counts.Add("429")
		in.refuse(w, r, http.StatusTooManyRequests)
		return
	case "429ra", "storm":
		in.counts.Add("429")
		if v.status == "storm" {
			in.counts.Add("storm")
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(in.f.RetryAfter/time.Second)))
		in.refuse(w, r, http.StatusTooManyRequests)
		return
	case "503":
		in.counts.Add("503")
		in.refuse(w, r, http.StatusServiceUnavailable)
		return
	case "iis401":
		in.counts.Add("iis401")
		in.refuse(w, r, http.StatusUnauthorized)
		return
	}
	switch {
	case v.close:
		in.counts.Add("close")
		resetConnection(w)
		return
	case v.redirect:
		in.counts.Add("redirect")
		http.Redirect(w, r, in.f.Redirect, http.StatusFound)
		return
	case v.bomb:
		in.counts.Add("bomb")
		writeBomb(w, rt.Bomb(r))
		return
	}
	a := &answer{in: in, w: w, r: r, stall: v.stall}
	if v.drop || v.truncate {
		a.drop, a.truncate, a.cutAt = v.drop, v.truncate, v.cutAt
	}
	if v.trickle {
		in.counts.Add("trickle")
		a.trickle = in.f.Trickle
	}
	defer a.finish()
	if v.endless {
		in.counts.Add("endless")
		writeEndless(a, r, rt.Endless(r))
		return
	}
	h.ServeHTTP(a, r)
}

// sleep waits d, or until the request ends (the client gave up or the server is stopping); it
// reports whether the whole wait passed.
func sleep(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// resetConnection takes the connection over and closes it with an RST (SO_LINGER 0): the client sees
// "connection reset by peer" where it expected an answer.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
