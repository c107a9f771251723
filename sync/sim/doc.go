// Package sim is the shared core of trialsync's simulators: real HTTP servers, on loopback only, that
// imitate the remote systems trialsync talks to, for tests, the demo and benchmarks. Each system has
// its own package on this core and imitates the real service as it behaves on the wire (its paths,
// error shapes and quirks), not as trialsync's clients would like it to behave, so that a client
// that passes against a simulator has met the real thing's habits.
//
// # Layout
//
//	sync/sim             this core: server, faults, answer writer, Idempotency-Key store, JSON helpers,
//	                     the seeded choice (Pick) the simulated studies are drawn with
//	sync/sim/rws         Rave Web Services (package rws; import it as simrws)
//	sync/sim/seed        the demo's study description (testdata/seed/study.toml) every simulator serves
//	sync/sim/sureadhere  SureAdhere's patient-ingest API (import it as simsureadhere)
//	sync/sim/checklist   the EDC and CTMS checklist API, one API with two field mappings (simchecklist)
//	sync/sim/simtest     for tests: a simulator started for one test, an exchange read whole, the demo's study
//
// # Building a simulator on the core
//
// A simulator is a struct holding its state behind a mutex, an http.Handler that routes its paths,
// and an embedded *Server (its Addr, URL, Close and Shutdown). The pieces, in the order a request
// meets them:
//
//   - Listen(addr, handler) serves on a loopback address (refusing any other) and gives Addr, URL,
//     Close and Shutdown. Request contexts end when the server stops.
//   - Authorisation is the simulator's own, in the system's own words. HasToken checks a static
//     bearer token (header "Authorization", prefix "Bearer ") or a named header token (SureAdhere's
//     "MRNIntegrationToken", prefix ""); Tokens issues and checks OAuth2-style tokens and applies the
//     expire fault.
//   - An Injector (NewInjector with the parsed --faults spec, a shared *Counts, and a Refuse hook that
//     writes the system's own 429/503/401 answer) decides each request's fault. Each route is a Route:
//     the FaultSet it admits, and for the faults that make up a body, what that system's endless body
//     and gzip bomb look like there (Filler: Head, Unit repeated, Tail). Injector.Serve(w, r, route,
//     handler) or Injector.Wrap(route, handler) runs the handler on an answer writer that gzips when
//     accepted, sends chunked, and applies the body faults.
//   - For idempotent writes, an Idempotency store (NewIdempotency) goes inside the injector:
//     inject.Serve(w, r, route, idem.Wrap(required, handler)). It follows the IETF draft
//     draft-ietf-httpapi-idempotency-key-header: a replay (same key, same method, path, query and
//     body) gets the first result (status, headers, body) without running the handler again; the same
//     key with a different request is 422; a replay while the first is still running is 409; a
//     missing key where required is 400, as is an empty, over-long (255) or non-ASCII key; errors are
//     application/problem+json; keys are forgotten TTL (default 24 h) after their request completed.
//     Because it sits inside the injector, a request whose answer a fault dropped keeps its result,
//     and the client's retry gets it.
//   - Handlers answer with WriteJSON or WriteProblem, read bodies with ReadJSON (strict: unknown
//     fields refused, bounded), and page lists with PageQuery and Paginate (opaque keyset cursors, so
//     items added between pages are neither repeated nor skipped).
//   - The simulator exposes Count(kind) from its Counts, so tests assert that a fault really happened.
//
// A JSON API simulator (SureAdhere, checklist) is thus: Listen; a mux whose routes check HasToken;
// each route wrapped as inject.Wrap(sim.Route{Faults: sim.AllFaults, Endless: …}, …), writes
// additionally through idem.Wrap(true, …); list routes using PageQuery/Paginate and WriteJSON.
//
// # Fault injection
//
// Every simulator parses the same `--faults SPEC` (ParseFaults), a comma-separated list where P is a
// probability per request (among the requests whose route admits that fault) and D a duration such
// as 2s or 150ms:
//
//	429:P            a 429 without Retry-After
//	429ra:P[@D]      a 429 with Retry-After D (whole seconds, default 1s)
//	429storm:N[@K]   once: the K-th request (default 1) and the N-1 after it get a 429 with Retry-After
//	503burst:N[@P]   a request starts, with probability P (default 0.1), a burst of N consecutive 503s;
//	                 bursts are separated by at least one request that is not in a burst
//	iis401:P         the front end's HTML 401 page instead of the answer (IIS for Rave)
//	drop:P           the connection is cut mid-body (the client sees an unexpected EOF)
//	truncate:P       the body stops early but the HTTP answer ends cleanly
//	slow:D[@P]       the first byte is delayed by D (with probability P, default every request)
//	stall:P          the headers are sent, then the body never progresses until the client gives up
//	trickle:D[@P]    the body goes out one byte every D, each byte flushed (default every request)
//	endless:P        a 200 whose body never ends: the route's head, then its unit repeated
//	redirect:URL[@P] a 302 to URL instead of the answer (default every request)
//	close:P          the connection is reset (RST) where the answer was expected
//	bomb:P           a 200 of about 0.4 MB, Content-Encoding gzip whatever the client accepted,
//	                 that inflates to 400 MiB (the route's head, one huge value, its tail)
//	expire:D         bearer tokens stop working D after issue, whatever expires_in said
//	seed:N           the fault sequence's seed (default the simulator's seed)
//
// e.g. "429:0.1,503burst:3,drop:0.05,truncate:0.05,slow:2s,expire:30s,iis401:0.05". Decisions come
// from one seeded generator, in request order, so a sequential client meets the same faults on every
// run; a kind that is not configured draws nothing, so adding one leaves the others' sequence as it
// was. A request meets at most one fault that replaces or cuts its answer; slow and trickle combine
// with the others. Faults that replace the answer (429, 503, iis401, redirect, close, bomb) keep the
// handler from running; drop, truncate, stall and trickle come after it ran in full, so a write hit
// by them is applied and loses its answer, as a real lost response would. Counts names each fault met
// after its grammar name ("storm" counts each 429 of the storm, which counts as "429" too).
package sim
