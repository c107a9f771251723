package sim

import (
	"bytes"
	"crypto/sha256"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// IdempotencyHeader is the request header that carries an idempotency key.
const IdempotencyHeader = "Idempotency-Key"

// Idempotency remembers, per Idempotency-Key, the first result of a request, with the semantics of
// the IETF draft "The Idempotency-Key HTTP Header Field" (draft-ietf-httpapi-idempotency-key-header):
//
//   - first request with a key: runs, and its result (status, headers, body) is kept;
//   - the same key and the same payload after it completed: the kept result, unchanged, and the
//     handler does not run again (success or error alike);
//   - the same key with a different payload (method, path and query, or body): 422;
//   - the same key and payload while the first is still running: 409 (retry later);
//   - no key on a route that requires one: 400; a key that is empty, longer than 255 characters,
//     or not printable ASCII: 400.
//
// Errors are application/problem+json (RFC 9457) as the draft shows. A key is an RFC 8941 String
// ("…", as the draft specifies) or, as many servers accept, a bare token. Keys are forgotten TTL
// after their first request completed; one store serves one simulated system (keys are not scoped
// further by caller). It is safe for concurrent use.
type Idempotency struct {
	ttl     time.Duration
	now     func() time.Time
	maxBody int64
	counts  *Counts

	mu      sync.Mutex
	entries map[string]*idemEntry
	sweeps  int
}

type idemEntry struct {
	fingerprint [32]byte
	done        bool
	expires     time.Time
	status      int
	header      http.Header
	body        []byte
}

// IdempotencyOptions configures an Idempotency store.
type IdempotencyOptions struct {
	// TTL is how long a key is remembered after its first request completed (default 24 h).
	TTL time.Duration
	// Now is the clock (default time.Now); tests move it to expire keys.
	Now func() time.Time
	// MaxBody is the largest payload fingerprinted; a longer one is refused with 413 (default 16 MiB).
	MaxBody int64
	// Counts receives "replay", "idempotency409", "idempotency422" and "idempotency400" (nil: none kept).
	Counts *Counts
}

// NewIdempotency returns an empty store.
func NewIdempotency(opts IdempotencyOptions) *Idempotency {
	if opts.TTL <= 0 {
		opts.TTL = 24 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = 16 << 20
	}
	if opts.Counts == nil {
		opts.Counts = &Counts{}
	}
	return &Idempotency{ttl: opts.TTL, now: opts.Now, maxBody: opts.MaxBody, counts: opts.Counts, entries: map[string]*idemEntry{}}
}

// Wrap is Serve as middleware.
func (s *Idempotency) Wrap(required bool, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.Serve(w, r, required, h) })
}

// Serve runs h at most once per key. Without a key, h runs as usual unless required, in which case
// the answer is 400. h sees the request with its body intact. Put Serve inside the fault injector
// (Injector.Serve(w, r, route, idem.Wrap(…))): the result is kept before it is written, so a retry
// after a dropped answer gets the first result, as the draft intends.
func (s *Idempotency) Serve(w http.ResponseWriter, r *http.Request, required bool, h http.Handler) {
	raw, present := r.Header[http.CanonicalHeaderKey(IdempotencyHeader)]
	if !present {
		if required {
			s.counts.Add("idempotency400")
			WriteProblem(w, http.StatusBadRequest, "Idempotency-Key is missing",
				"This operation is idempotent and it requires an Idempotency-Key header.")
			return
		}
		h.ServeHTTP(w, r)
		return
	}
	key, ok := parseIdempotencyKey(raw)
	if !ok {
		s.counts.Add("idempotency400")
		WriteProblem(w, http.StatusBadRequest, "Idempotency-Key is not valid",
			"An Idempotency-Key is one quoted string or token of 1 to 255 printable characters.")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, s.maxBody+1))
	if err != nil {
		return // the client went away mid-body: there is nothing to answer
	}
	if int64(len(body)) > s.maxBody {
		WriteProblem(w, http.StatusRequestEntityTooLarge, "Request too large",
			"The request body is longer than "+strconv.FormatInt(s.maxBody, 10)+" bytes.")
		return
	}
	fp := fingerprint(r, body)

	s.mu.Lock()
	now := s.now()
	s.sweepLocked(now)
	e, seen := s.entries[key]
	if seen && e.done && !now.Before(e.expires) {
		delete(s.entries, key)
		seen = false
	}
	switch {
	case seen && e.fingerprint != fp:
		s.mu.Unlock()
		s.counts.Add("idempotency422")
		WriteProblem(w, http.StatusUnprocessableEntity, "Idempotency-Key is already used",
			"This Idempotency-Key was used with a different request; a key must not be reused across different payloads.")
		return
	case seen && !e.done:
		s.mu.Unlock()
		s.counts.Add("idempotency409")
		WriteProblem(w, http.StatusConflict, "A request is outstanding for this Idempotency-Key",
			"A request with the same Idempotency-Key is being processed; retry once it has completed.")
		return
	case seen:
		status, header, kept := e.status, e.header, e.body
		s.mu.Unlock()
		s.counts.Add("replay")
		writeKept(w, status, header, kept)
		return
	}
	e = &idemEntry{fingerprint: fp}
	s.entries[key] = e
	s.mu.Unlock()

	rec := &recorder{header: http.Header{}}
	completed := false
	defer func() {
		if !completed { // h panicked: the key was not used up, a retry may run it again
			s.mu.Lock()
			if s.entries[key] == e {
				delete(s.entries, key)
			}
			s.mu.Unlock()
		}
	}()
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	h.ServeHTTP(rec, r2)
	completed = true
	if rec.status == 0 {
		rec.status = http.StatusOK
	}

	s.mu.Lock()
	e.done, e.expires = true, s.now().Add(s.ttl)
	e.status, e.header, e.body = rec.status, rec.header, rec.buf.Bytes()
	s.mu.Unlock()
	writeKept(w, e.status, e.header, e.body)
}

// Len returns how many keys the store remembers (expired ones included until swept).
func (s *Idempotency) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// sweepLocked drops expired keys every 64 requests, so the map does not grow without bound.
func (s *Idempotency) sweepLocked(now time.Time) {
	s.sweeps++
	if s.sweeps%64 != 0 {
		return
	}
	for k, e := range s.entries {
		if e.done && !now.Before(e.expires) {
			delete(s.entries, k)
		}
	}
}

// parseIdempotencyKey accepts one field line holding an RFC 8941 String or a bare token.
func parseIdempotencyKey(lines []string) (string, bool) {
	if len(lines) != 1 {
		return "", false
	}
	v := strings.TrimSpace(lines[0])
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		var b strings.Builder
		inner := v[1 : len(v)-1]
		for i := 0; i < len(inner); i++ {
			c := inner[i]
			switch {
			case c == '\\':
				if i+1 == len(inner) || (inner[i+1] != '"' && inner[i+1] != '\\') {
					return "", false
				}
				i++
				b.WriteByte(inner[i])
			case c == '"':
				return "", false
			default:
				b.WriteByte(c)
			}
		}
		v = b.String()
	} else if strings.ContainsAny(v, "\" \t,;") {
		return "", false
	}
	if len(v) == 0 || len(v) > 255 {
		return "", false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return "", false
		}
	}
	return v, true
}

// fingerprint is a checksum of what makes a request the same request: method, path and query, body.
func fingerprint(r *http.Request, body []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(r.Method))
	h.Write([]byte{0})
	h.Write([]byte(r.URL.RequestURI()))
	h.Write([]byte{0})
	h.Write(body)
	var fp [32]byte
	h.Sum(fp[:0])
	return fp
}

// writeKept writes a kept result. Content-Length is recomputed by net/http.
func writeKept(w http.ResponseWriter, status int, header http.Header, body []byte) {
	for k, v := range header {
		w.Header()[k] = append([]string(nil), v...)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// recorder captures what a handler writes, so it can be kept and replayed.
type recorder struct {
	header http.Header
	status int
	buf    bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.buf.Write(p)
}
