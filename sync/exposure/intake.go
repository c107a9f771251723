package exposure

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// MaxIntakeBody is the largest body the intake endpoint reads; a larger one is answered 413.
const MaxIntakeBody = 1 << 20

// IntakePath is the intake endpoint's path (POST only).
const IntakePath = "/v1/exposures"

// IntakeSource names the intake in what Queue.Import records (the audit trail's source).
const IntakeSource = "intake"

// Queue takes validated records into the exposure queue. It is implemented over the store's exposures
// bucket and the outbox: Import stores all of recs (each an edit of its log line, coalesced with any
// earlier edit not yet sent) in one transaction with its audit entry, and returns how many it stored;
// on error it stored none.
type Queue interface {
	Import(ctx context.Context, recs []Record, source string) (int, error)
}

// Intake is the loopback HTTP intake for dose records: POST /v1/exposures with "Authorization: Bearer
// <intake.token>", a body of one JSON object or JSON Lines with the intake fields. The answer is
// 200 {"imported":N,"rejected":[{"line":L,"reason":"…"}]}: every valid record is queued even when others
// in the same body are rejected. A wrong or missing token is 401 (compared in constant time), a body
// over MaxIntakeBody 413, a body that is not JSON 415.
type Intake struct {
	rules Rules
	queue Queue
	token [sha256.Size]byte
	mux   *http.ServeMux
}

// ErrNoToken is returned by NewIntake when the intake token is empty: an endpoint that anyone on the
// machine could post doses to is never started.
var ErrNoToken = errors.New("exposure: the intake needs a bearer token (keyring entry intake.token)")

// NewIntake returns the intake handler. token is the bearer token callers must present; it is kept only
// as a SHA-256 digest.
func NewIntake(token string, rules Rules, q Queue) (*Intake, error) {
	if token == "" {
		return nil, ErrNoToken
	}
	in := &Intake{rules: rules, queue: q, token: sha256.Sum256([]byte(token)), mux: http.NewServeMux()}
	in.mux.HandleFunc("POST "+IntakePath, in.post)
	return in, nil
}

// ServeHTTP routes to POST /v1/exposures (other paths 404, other methods 405).
func (in *Intake) ServeHTTP(w http.ResponseWriter, r *http.Request) { in.mux.ServeHTTP(w, r) }

// IntakeRejection is one rejected record of an intake answer.
type IntakeRejection struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// IntakeAnswer is the 200 answer of the intake endpoint.
type IntakeAnswer struct {
	Imported int               `json:"imported"`
	Rejected []IntakeRejection `json:"rejected"`
}

func (in *Intake) post(w http.ResponseWriter, r *http.Request) {
	if !in.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="trialsync exposure intake"`)
		fail(w, http.StatusUnauthorized, "a valid bearer token is required (Authorization: Bearer <intake.token>)")
		return
	}
	if r.ContentLength > MaxIntakeBody {
		fail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", MaxIntakeBody))
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !jsonMediaType(ct) {
		fail(w, http.StatusUnsupportedMediaType, "send JSON: one object or JSON Lines, Content-Type: application/json")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxIntakeBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		fail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", MaxIntakeBody))
		return
	case err != nil:
		fail(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	body = bytes.TrimPrefix(body, utf8BOM)
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		fail(w, http.StatusBadRequest, "the body is empty: send one JSON object or JSON Lines")
		return
	}
	if trimmed[0] == '[' {
		fail(w, http.StatusBadRequest, "send one JSON object, or JSON Lines (one object per line), not an array")
		return
	}
	if trimmed[0] != '{' {
		fail(w, http.StatusUnsupportedMediaType, "the body is not JSON: send one object or JSON Lines")
		return
	}

	entries, err := in.decode(body, trimmed)
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	ans := IntakeAnswer{Rejected: []IntakeRejection{}}
	var recs []Record
	for _, e := range entries {
		if e.Reason != "" {
			ans.Rejected = append(ans.Rejected, IntakeRejection{Line: e.Line, Reason: e.Reason})
			continue
		}
		recs = append(recs, e.Record)
	}
	if len(recs) > 0 {
		n, err := in.queue.Import(r.Context(), recs, IntakeSource)
		if err != nil {
			fail(w, http.StatusServiceUnavailable, "the records could not be queued, none was: "+err.Error())
			return
		}
		ans.Imported = n
	}
	reply(w, http.StatusOK, ans)
}

// decode reads the body as one JSON object (which may span lines) or as JSON Lines.
func (in *Intake) decode(body, trimmed []byte) ([]Entry, error) {
	if json.Valid(trimmed) { // exactly one JSON value: the single-object form
		line := 1 + bytes.Count(body[:bytes.Index(body, trimmed)], []byte("\n"))
		obj, reason := decodeObject(trimmed)
		if reason != "" {
			return []Entry{{Line: line, Reason: reason}}, nil
		}
		return []Entry{check(in.rules, line, obj)}, nil
	}
	d, err := NewDecoder(bytes.NewReader(body), "body", in.rules)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for {
		e, err := d.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
}

// authorized compares the bearer token in constant time (digests of equal length, so neither the
// content nor the length of the expected token leaks through timing).
func (in *Intake) authorized(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(got[:], in.token[:]) == 1
}

func jsonMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch mt {
	case "application/json", "application/x-ndjson", "application/jsonl", "application/x-jsonlines",
		"application/json-lines", "application/jsonlines":
		return true
	}
	return strings.HasSuffix(mt, "+json")
}

func fail(w http.ResponseWriter, status int, msg string) {
	reply(w, status, map[string]string{"error": msg})
}

func reply(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// CheckLoopback refuses an intake address that is not a loopback host:port (127.0.0.0/8, ::1 or
// localhost): the intake takes dose records with a bearer token over plain HTTP, which is safe only when
// nothing outside the machine can reach it.
func CheckLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("exposure intake address %q must be host:port, such as 127.0.0.1:8377", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("exposure intake address %q: the port must be a number up to 65535", addr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("exposure intake address %q is not a loopback address: use 127.0.0.1, [::1] or localhost, so that only this machine can post doses", addr)
	}
	return nil
}

// ListenLoopback listens on a loopback address for the intake, refusing any other address with a clear
// error; it also checks where the listener really bound (localhost could resolve elsewhere).
func ListenLoopback(ctx context.Context, addr string) (net.Listener, error) {
	if err := CheckLoopback(addr); err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("exposure intake: listening on %s: %w", addr, err)
	}
	if ta, ok := ln.Addr().(*net.TCPAddr); !ok || !ta.IP.IsLoopback() {
		_ = ln.Close()
		return nil, fmt.Errorf("exposure intake address %q bound to %s, which is not a loopback address", addr, ln.Addr())
	}
	return ln, nil
}
