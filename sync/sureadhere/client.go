package sureadhere

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/trialsync/trialsync/sync/remote"
)

// IngestPath is SureAdhere's patient-ingest endpoint, under the configured [sureadhere] url.
const IngestPath = "/treatment/ingest/mrn_regimen"

// TokenHeader is the header that carries the workspace's integration token (keyring entry
// sureadhere.token).
const TokenHeader = "MRNIntegrationToken"

// Config configures a Client: it is remote.Config (BaseURL, Timeout, Retry, Breaker, Logger, …),
// since everything but the endpoint is the behaviour every remote shares. Name defaults to
// "sureadhere" and UserAgent to "trialsync-sureadhere"; ErrorBody is always SureAdhere's own reader
// of its JSON error answers. Auth is set by New from the token.
type Config = remote.Config

// Client talks to one SureAdhere workspace. It is safe for concurrent use; the agent builds one and
// every send of a subject goes through it, sharing its breaker, rate limit and offline state.
type Client struct {
	rc *remote.Client
}

// New returns a client for cfg that authorises every request with token in the MRNIntegrationToken
// header. It fails only on a configuration that can never work; such an error is fatal
// (remote.IsFatal).
func New(cfg Config, token string) (*Client, error) {
	if cfg.Name == "" {
		cfg.Name = "sureadhere"
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "trialsync-sureadhere"
	}
	if token == "" {
		return nil, &TokenError{Reason: "no MRNIntegrationToken given"}
	}
	cfg.Auth = remote.HeaderToken(TokenHeader, token)
	cfg.ErrorBody = readErrorBody
	rc, err := remote.New(cfg)
	if err != nil {
		return nil, err
	}
	return &Client{rc: rc}, nil
}

// Remote returns the shared HTTP client underneath: its State for the dashboard, Watch, Close.
func (c *Client) Remote() *remote.Client { return c.rc }

// Close stops the client's background work (the offline probe).
func (c *Client) Close() error { return c.rc.Close() }

// BaseURL returns the SureAdhere root the client talks to.
func (c *Client) BaseURL() string { return c.rc.BaseURL().String() }

// Patient is what SureAdhere's ingest registers: the subject ID as MRN, the regimen of the subject's
// arm, and the site code.
type Patient struct {
	MRN      string `json:"mrn"`
	Regimen  string `json:"regimen"`
	SiteCode string `json:"site_code"`
}

// Body is the request body Ingest sends for p: the same bytes every time, so that its hash names the
// request in the audit trail.
func (p Patient) Body() []byte {
	b, _ := json.Marshal(p) // three strings cannot fail to encode
	return b
}

// Ack is SureAdhere's acknowledgement of an ingest.
type Ack struct {
	// Status is 201 (the patient was created) or 409 (the workspace already had a patient with that
	// MRN: an earlier send arrived, its answer lost, or someone registered the subject by hand).
	Status int
	// ID is SureAdhere's patient ID when it created one (201); 0 otherwise.
	ID int64
	// Detail is SureAdhere's own words for a 409, cleaned.
	Detail string
}

// Created reports whether this request created the patient (201), rather than finding it there (409).
func (a Ack) Created() bool { return a.Status == http.StatusCreated }

// Ingest registers p with SureAdhere: POST /treatment/ingest/mrn_regimen. Both 201 and 409 are
// acknowledgements: the MRN is SureAdhere's key for the patient, so sending the same subject again
// after a lost answer is safe and meets 409.
//
// The errors: a *TokenError (fatal: the token was refused; SureAdhere answers 400, not 401, for a bad
// token), a *remote.Error whose Status is 400 or another 4xx for a body SureAdhere refused (Retryable
// false; Message says what, field by field; Detail holds the fields as FieldProblems), and the remote
// package's errors for everything about timing: 429 and 5xx are retried inside the call, honouring
// Retry-After, and returned Retryable when they persist; an unreachable SureAdhere is a
// *remote.OfflineError at once.
func (c *Client) Ingest(ctx context.Context, p Patient) (Ack, error) {
	resp, err := c.rc.Do(ctx, remote.Request{
		Method:      http.MethodPost,
		URL:         c.rc.Endpoint(nil, "treatment", "ingest", "mrn_regimen"),
		Body:        p.Body(),
		ContentType: "application/json",
		Header:      http.Header{"Accept": {"application/json"}},
		Op:          "POST " + IngestPath[1:],
		MaxBytes:    64 << 10,
	})
	if err != nil {
		return classify(err)
	}
	defer resp.Body.Close()
	var created struct {
		ID  int64  `json:"id"`
		MRN string `json:"mrn"`
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		// The status said the patient exists; a cut body does not undo that, but it is not proof either:
		// the send is retried, and the retry meets 409.
		return Ack{}, err
	}
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return Ack{}, &remote.Error{Remote: c.rc.Name(), Op: "POST " + IngestPath[1:], Status: resp.StatusCode,
			Message: fmt.Sprintf("unexpected answer %d to an ingest (want 201 Created or 409 Conflict)", resp.StatusCode)}
	}
	_ = json.Unmarshal(raw, &created) // the ID is for the record; the status is the acknowledgement
	return Ack{Status: resp.StatusCode, ID: created.ID}, nil
}

// classify turns the remote's error into Ingest's: a 409 is an acknowledgement, a refused token a
// *TokenError.
func classify(err error) (Ack, error) {
	var e *remote.Error
	if !errors.As(err, &e) {
		return Ack{}, err
	}
	switch {
	case e.Status == http.StatusConflict:
		return Ack{Status: e.Status, Detail: e.Message}, nil
	case e.Code == codeInvalidToken || errors.Is(err, remote.ErrCredentialRejected):
		return Ack{}, &TokenError{Reason: e.Reason(), Err: e}
	}
	return Ack{}, err
}
