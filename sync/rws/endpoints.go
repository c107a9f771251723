package rws

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MaxPostBytes is the largest ODM body RWS accepts on PostODMClinicalData.
const MaxPostBytes = 1_000_000

// StartTimeLayout is how RWS writes and reads clinical-view times: the start= parameter of datasets
// and the X-MWS-CV-Last-Updated header (no zone; the tenant's clock is UTC).
const StartTimeLayout = "2006-01-02T15:04:05"

// Page is one streamed RWS answer. The caller must Close Body.
type Page struct {
	// Body streams the ODM document.
	Body io.ReadCloser
	// Next is the audit feed's next-page link exactly as the server sent it in `Link: <…>; rel="next"`,
	// "" on the last page. Store it as given; never compute it.
	Next string
	// NextStartID is the startid query parameter of Next, 0 when there is no next page or it has none.
	// It is informative only: resume with FollowNext(Next).
	NextStartID int64
	// LastUpdated is the X-MWS-CV-Last-Updated header of a dataset answer as given ("" when absent):
	// pass it as the next incremental pull's start.
	LastUpdated string
	// URL is the address that was fetched, for the audit trail (it carries no credentials).
	URL string
}

// Version returns the RWS version string, e.g. "1.0.0".
func (c *Client) Version(ctx context.Context) (string, error) {
	resp, err := c.send(ctx, request{method: http.MethodGet, url: c.endpoint(nil, "version")})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// Dataset streams the study's clinical view ("regular": coded values) for every form, or only for
// formOID when it is not "". A non-zero since asks only for data changed since then (start=).
func (c *Client) Dataset(ctx context.Context, study, formOID string, since time.Time) (*Page, error) {
	return c.dataset(ctx, "regular", study, formOID, since)
}

// RawDataset is Dataset for the "raw" view (values as entered).
func (c *Client) RawDataset(ctx context.Context, study, formOID string, since time.Time) (*Page, error) {
	return c.dataset(ctx, "raw", study, formOID, since)
}

func (c *Client) dataset(ctx context.Context, kind, study, formOID string, since time.Time) (*Page, error) {
	if err := checkStudy(study); err != nil {
		return nil, err
	}
	segs := []string{"studies", study, "datasets", kind}
	if formOID != "" {
		segs = append(segs, formOID)
	}
	var q url.Values
	if !since.IsZero() {
		q = url.Values{"start": {since.UTC().Format(StartTimeLayout)}}
	}
	return c.page(ctx, request{method: http.MethodGet, url: c.endpoint(q, segs...), checkODM: true})
}

// AuditRecords streams one page of the clinical audit-record feed for study, from startID, with at
// most perPage audit IDs covered. The page may hold fewer records than perPage, or none, while
// Page.Next still points further on.
func (c *Client) AuditRecords(ctx context.Context, study string, startID int64, perPage int) (*Page, error) {
	if err := checkStudy(study); err != nil {
		return nil, err
	}
	if startID < 1 || perPage < 1 {
		return nil, fmt.Errorf("rws: audit records: startid %d and per_page %d must be positive", startID, perPage)
	}
	q := url.Values{
		"studyoid": {study},
		"startid":  {strconv.FormatInt(startID, 10)},
		"per_page": {strconv.Itoa(perPage)},
	}
	return c.page(ctx, request{method: http.MethodGet, url: c.endpoint(q, "datasets", "ClinicalAuditRecords.odm"), checkODM: true})
}

// FollowNext fetches the page a previous Page.Next points to. The link must lie under the client's
// base URL: following it elsewhere would hand the credentials to another host.
func (c *Client) FollowNext(ctx context.Context, next string) (*Page, error) {
	u, err := url.Parse(next)
	if err != nil {
		return nil, fmt.Errorf("rws: next link: %w", err)
	}
	if !u.IsAbs() {
		u = c.base.ResolveReference(u)
	}
	if !c.within(u) {
		return nil, fmt.Errorf("rws: next link points outside %s; refusing to send credentials there", c.base.Host)
	}
	return c.page(ctx, request{method: http.MethodGet, url: u, checkODM: true})
}

func (c *Client) page(ctx context.Context, r request) (*Page, error) {
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	p := &Page{Body: resp.Body, URL: r.url.String(), LastUpdated: resp.Header.Get("X-MWS-CV-Last-Updated")}
	if next, ok := nextLink(resp.Header.Values("Link")); ok {
		p.Next = next
		if u, err := url.Parse(next); err == nil {
			p.NextStartID, _ = strconv.ParseInt(u.Query().Get("startid"), 10, 64)
		}
	}
	return p, nil
}

// ParseLastUpdated reads an X-MWS-CV-Last-Updated value (UTC, no zone; fractional seconds allowed).
func ParseLastUpdated(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{StartTimeLayout, "2006-01-02T15:04:05.999999999", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("rws: last-updated time %q is not ISO 8601", s)
}

func checkStudy(study string) error {
	if study == "" || strings.ContainsAny(study, "/?#") {
		return fmt.Errorf("rws: study OID %q is not of the form Project(Env)", study)
	}
	return nil
}
