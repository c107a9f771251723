package checklist

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/trialsync/trialsync/sync/remote"
)

// Bounds on what a system may answer. A listing page of 1,000 records is about 250 KB; an item is a
// few hundred bytes.
const (
	maxPageBytes = 32 << 20
	maxItemBytes = 1 << 20
)

// The local request budget of a checklist system's client, used while the system states none
// (X-RateLimit-Remaining is honoured when it does). Rave's default of 10 a second would make the 1 %
// of a 100,000-item checklist that needs writing (a GET and a PUT each) take minutes; this bound still
// keeps a runaway loop from hammering the system.
const (
	clientRequestsPerSecond = 500
	clientBurst             = 100
	clientConcurrency       = 8
)

// ClientConfig is the sync/remote configuration of one checklist system's client: its name ("edc" or
// "ctms"), its base URL, its bearer token (the keyring's edc.token or ctms.token), the reader of its
// application/problem+json errors and its request budget. The caller may set the rest (logger,
// fingerprint, retry policy) before remote.New.
func ClientConfig(sys System, baseURL, token string) remote.Config {
	return remote.Config{
		Name: string(sys), BaseURL: baseURL, Auth: remote.Bearer(token),
		ErrorBody: ProblemBody, UserAgent: "trialsync-checklist",
		RequestsPerSecond: clientRequestsPerSecond, Burst: clientBurst, MaxConcurrent: clientConcurrency,
	}
}

// ProblemBody reads the checklist systems' error answers, RFC 9457 problem+json
// ({"title":…,"detail":…}), falling back to remote.PlainErrorBody for anything else.
func ProblemBody(status int, h http.Header, body []byte) remote.Problem {
	var p struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
	}
	if json.Unmarshal(body, &p) != nil || (p.Title == "" && p.Detail == "") {
		return remote.PlainErrorBody(status, h, body)
	}
	msg := p.Detail
	if msg == "" {
		msg = p.Title
	}
	return remote.Problem{Code: p.Title, Message: msg}
}

// Remote is one checklist system as reconciliation reads and writes it: the shared sync/remote client
// (retries, Retry-After, backoff, the breaker, the offline state, the bearer token) and the system's
// adapter (its endpoints and record shape). It is safe for concurrent use.
type Remote struct {
	rc       *remote.Client
	ad       *Adapter
	pageSize int
}

// NewRemote reads and writes system ad.System() through rc, listing pageSize items a page.
func NewRemote(rc *remote.Client, ad *Adapter, pageSize int) *Remote {
	if pageSize <= 0 {
		pageSize = 1000
	}
	return &Remote{rc: rc, ad: ad, pageSize: pageSize}
}

// System is the system this remote is.
func (r *Remote) System() System { return r.ad.System() }

// Adapter is the system's adapter.
func (r *Remote) Adapter() *Adapter { return r.ad }

// Client is the sync/remote client underneath (its state for the dashboard).
func (r *Remote) Client() *remote.Client { return r.rc }

// ErrListing is wrapped by List's errors about the listing's own shape (a cursor that repeats, a page
// that is not a page): the system answered, but not with a listing that can be trusted whole.
var ErrListing = errors.New("the listing cannot be read whole")

// List reads the system's whole listing of study, page after page in order (each page needs the
// previous one's cursor), and decodes every record. Only a complete listing is returned: an item
// missing from a truncated one would read as deleted.
func (r *Remote) List(ctx context.Context, study string) ([]Record, error) {
	var recs []Record
	err := r.Pages(ctx, study, func(page []Record) error {
		recs = append(recs, page...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return recs, nil
}

// Pages reads the system's listing of study page after page, in order, and hands each page's decoded
// records to fn as it arrives; an error from fn stops the listing. The records point into the page's
// body. The listing is whole only when Pages returns nil: a caller must not act on the absence of an
// item before then.
func (r *Remote) Pages(ctx context.Context, study string, fn func([]Record) error) error {
	seen := map[string]bool{}
	cursor := ""
	var buf bytes.Buffer
	for {
		body, err := r.get(ctx, r.ad.ListPath(study, r.pageSize, cursor), "list checklist items", maxPageBytes, &buf)
		if err != nil {
			return err
		}
		p, err := r.ad.DecodePage(body)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrListing, err)
		}
		recs := make([]Record, len(p.Items))
		for i, raw := range p.Items {
			recs[i] = r.ad.Decode(raw)
		}
		if err := fn(recs); err != nil {
			return err
		}
		if p.NextCursor == "" {
			return nil
		}
		if seen[p.NextCursor] {
			return fmt.Errorf("%w: the %s listing gave the same next cursor twice", ErrListing, r.System().Label())
		}
		seen[p.NextCursor] = true
		cursor = p.NextCursor
	}
}

// Item reads one item at its item path (the system's own spelling of site and code, as Write.Path);
// found is false when the system has no such item (404).
func (r *Remote) Item(ctx context.Context, path string) (raw json.RawMessage, found bool, err error) {
	body, err := r.get(ctx, path, "get checklist item", maxItemBytes, nil)
	var re *remote.Error
	if errors.As(err, &re) && re.Status == http.StatusNotFound {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return body, true, nil
}

// Put sends body to path with its idempotency key and returns the item the system stored and the
// answer's status.
func (r *Remote) Put(ctx context.Context, path string, body []byte, key string) (json.RawMessage, int, error) {
	u, err := r.url(path)
	if err != nil {
		return nil, 0, err
	}
	return r.fetch(ctx, remote.Request{Method: http.MethodPut, URL: u, Body: body, ContentType: "application/json",
		Header: http.Header{"Accept": {"application/json"}}, IdempotencyKey: key, Op: "put checklist item", MaxBytes: maxItemBytes}, nil)
}

func (r *Remote) get(ctx context.Context, path, op string, limit int64, buf *bytes.Buffer) ([]byte, error) {
	u, err := r.url(path)
	if err != nil {
		return nil, err
	}
	b, _, err := r.fetch(ctx, remote.Request{Method: http.MethodGet, URL: u, Header: http.Header{"Accept": {"application/json"}},
		Op: op, MaxBytes: limit}, buf)
	return b, err
}

// bodyAttempts bounds how often a request whose answer broke off is sent again.
const bodyAttempts = 4

// fetch sends req and reads its whole answer. sync/remote retries what fails before the answer
// starts; an answer that breaks off midway (a cut connection, a stall) is asked for again here, which
// is safe for a GET and for a keyed PUT (the system answers a replayed key with its first result).
func (r *Remote) fetch(ctx context.Context, req remote.Request, buf *bytes.Buffer) ([]byte, int, error) {
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	for attempt := 1; ; attempt++ {
		resp, err := r.rc.Do(ctx, req)
		if err != nil {
			return nil, 0, err
		}
		b, err := readAll(resp, buf)
		resp.Body.Close()
		if err == nil {
			return b, resp.StatusCode, nil
		}
		if attempt >= bodyAttempts || !remote.Retryable(err) {
			return nil, 0, err
		}
		select {
		case <-ctx.Done():
			return nil, 0, context.Cause(ctx)
		case <-time.After(time.Duration(attempt) * 20 * time.Millisecond):
		}
	}
}

// readAll reads an answer into a slice of its own size, through buf (kept by the caller from one page
// to the next). The records of a listing page point into its body until the page is planned; reading
// each body straight into a slice grown by doubling would leave twice its size behind as garbage, a
// hundred times over in a 100,000-item listing.
func readAll(resp *http.Response, buf *bytes.Buffer) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= maxPageBytes {
		b := make([]byte, n)
		_, err := io.ReadFull(resp.Body, b)
		return b, err
	}
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, err
	}
	return bytes.Clone(buf.Bytes()), nil
}

// url puts an adapter's path (escaped, with its query) under the system's base URL.
func (r *Remote) url(path string) (*url.URL, error) {
	ref, err := url.Parse(path)
	if err != nil || ref.Scheme != "" || ref.Host != "" {
		return nil, fmt.Errorf("%s: %q is not a path", r.System().Label(), path)
	}
	u := r.rc.BaseURL()
	u.RawPath = u.EscapedPath() + ref.EscapedPath()
	u.Path += ref.Path
	u.RawQuery = ref.RawQuery
	return u, nil
}
