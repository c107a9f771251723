package exposure

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/outbox"
	"github.com/trialsync/trialsync/sync/rws"
)

// Poster posts one ODM transactional document to Rave: the agent's one RWS client (rws.Client), the
// same the pull uses, so that the sends share its circuit breaker, rate limit and offline state.
type Poster interface {
	PostClinicalData(ctx context.Context, odm []byte) (*rws.PostResult, error)
}

// Sender delivers exposure messages (outbox.KindExposure): one log line, of one subject, per POST.
type Sender struct {
	lines   *Lines
	mapping Mapping
	// client returns the Rave client, built on first use (a missing credential is its error).
	client func(ctx context.Context) (Poster, error)
}

// NewSender returns the sender of lines' messages, posting through the client client returns.
func NewSender(lines *Lines, m Mapping, client func(ctx context.Context) (Poster, error)) *Sender {
	return &Sender{lines: lines, mapping: m, client: client}
}

// transientCodes are the refusals a later attempt can get past: a record another user has open.
var transientCodes = map[string]bool{"RWS00040": true}

// Send posts the change of the message's log line: every item on the line's first send, only what
// differs from what Rave acknowledged on later ones, nothing at all (the message is done) when nothing
// differs. The document's FileOID is the attempt's claim token, so Rave's InboundODMFileOID ties its
// answer to this attempt. It succeeds only on IsTransactionSuccessful="1"; Rave's SuccessStatistics is
// compared with what the send should have touched, and a mismatch is the outcome's Note. The values
// Rave now holds are recorded with the message's completion (Outcome.Commit).
func (s *Sender) Send(ctx context.Context, m outbox.Message) (outbox.Outcome, error) {
	var line LogLine
	if err := m.Decode(&line); err != nil {
		return outbox.Outcome{}, &outbox.Failure{Permanent: true, Message: err.Error(), Err: err}
	}
	st, _, err := s.lines.Get(ctx, line.Key)
	if err != nil {
		return outbox.Outcome{}, err
	}
	send, ok := Plan(line, st.Acked)
	if !ok {
		return outbox.Outcome{Skipped: true}, nil
	}
	body, exp, err := s.mapping.Body(Header{FileOID: m.Claim, Created: time.Now()}, []Send{send})
	if err != nil {
		return outbox.Outcome{}, &outbox.Failure{Permanent: true, Message: "the dose record cannot be written as ODM: " + err.Error(), Err: err}
	}
	exp.Resent = m.Attempts > 1
	hash := outbox.HashOf(body)
	client, err := s.client(ctx)
	if err != nil {
		return outbox.Outcome{}, err
	}
	res, err := client.PostClinicalData(ctx, body)
	if err != nil {
		return outbox.Outcome{}, failure(err, hash)
	}
	out := outbox.Outcome{RequestHash: hash, Status: res.Status, Reference: res.ReferenceNumber,
		Summary: strings.TrimSpace(strings.TrimPrefix(res.SuccessStatistics, "Rave objects touched:")),
		Note:    exp.Compare(ParseStatistics(res.SuccessStatistics))}
	if res.NewRecords != "" {
		out.Summary += "; new records " + res.NewRecords
	}
	key := s.lines.Key(line.Key)
	out.Commit = func(tx *store.Tx) error {
		t := store.Exposures[Stored](tx)
		cur, _, err := t.Get(key)
		if err != nil {
			return err
		}
		acked := send.Acked
		cur.Acked, cur.Sent, cur.Reference = &acked, time.Now().UTC(), res.ReferenceNumber
		if cur.Line.Key == (Key{}) {
			cur.Line = line
		}
		return t.Put(key, cur)
	}
	return out, nil
}

// failure reads the client's error for the outbox: a refusal with its reason code, where Rave found
// the problem and the routing advice; permanent unless Rave was busy (429, 5xx, a timeout, a lost
// connection) or a record was locked by another user. An unreachable Rave, a rejected credential, a
// paused circuit breaker and the caller's cancellation pass through as they are: the outbox holds,
// stops, gives the attempt back or leaves the message.
func failure(err error, hash string) error {
	var e *rws.Error
	if !errors.As(err, &e) || rws.IsOffline(err) || errors.Is(err, rws.ErrUnauthorized) || errors.Is(err, rws.ErrLockedOut) ||
		errors.Is(err, rws.ErrCircuitOpen) {
		return err
	}
	f := &outbox.Failure{Permanent: !e.Retryable && !transientCodes[strings.ToUpper(e.ReasonCode)],
		RetryAfter: e.RetryAfter, Status: e.Status, ReasonCode: e.ReasonCode, Origin: e.Origin, Message: e.Message,
		Reference: e.Reference, RequestHash: hash, Err: err}
	if f.Message == "" {
		f.Message = e.Error()
	}
	if e.Status == 200 {
		f.Message = fmt.Sprintf("Rave did not apply the transaction (IsTransactionSuccessful=\"0\"): %s", f.Message)
	}
	rt := Route(Refusal{Status: e.Status, ReasonCode: e.ReasonCode, Origin: e.Origin, Message: e.Message})
	f.Urgent, f.Advice = rt.Urgent, rt.Advice
	return f
}
