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

	"github.com/trialsync/trialsync/sync/remote"
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
	// "" on the last page. Pass it through CheckNext and store what that returns; never compute it.
	Next string
	// NextStartID is the startid query parameter of Next, 0 when there is no next page or it has none.
	// It is informative only: resume with FollowNext on the stored link.
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

// FollowNext fetches the page a stored Page.Next points to (as CheckNext returned it). The request goes
// to the configured base's origin and nowhere else: a link on that origin (spelling aside) is followed
// there; so is a link stored before the configuration moved to a new port of the same host (or from
// http to https), when its path lies under the base path. A link to another host, from https down to
// http, or outside the base path is refused unsent: following it would hand the credentials elsewhere.
func (c *Client) FollowNext(ctx context.Context, next string) (*Page, error) {
	u, err := c.parseNext(next)
	if err != nil {
		return nil, err
	}
	moved := remote.SameHost(u, c.base) && (strings.EqualFold(u.Scheme, c.base.Scheme) || strings.EqualFold(c.base.Scheme, "https"))
	if !remote.SameOrigin(u, c.base) && !moved {
		return nil, c.nextError("points outside " + c.base.Host + "; refusing to send credentials there")
	}
	return c.page(ctx, request{method: http.MethodGet, url: c.rebase(u), checkODM: true})
}

// CheckNext validates a next link the server just sent, before the caller stores it, and returns the
// form to store: the link's path and query exactly as given, on the configured base's origin. The
// link's origin must be the base's once spelling is set aside (case, a default port, a trailing dot,
// 127.0.0.1 / localhost / ::1), and its path must lie under the base path; any other link is refused
// (an error matching ErrNextLink) and must not be stored, so that a hostile or broken answer cannot
// poison the cursor.
func (c *Client) CheckNext(next string) (string, error) {
	u, err := c.parseNext(next)
	if err != nil {
		return "", err
	}
	if !remote.SameOrigin(u, c.base) {
		return "", c.nextError("points to another address than " + c.base.Host + "; not storing it")
	}
	return c.rebase(u).String(), nil
}

// parseNext reads a next link: relative links resolve under the base, credentials in it are refused,
// and its path must lie under the base path.
func (c *Client) parseNext(next string) (*url.URL, error) {
	u, err := url.Parse(next)
	if err != nil || next == "" {
		return nil, c.nextError("is not a URL")
	}
	if !u.IsAbs() {
		dir := *c.base
		dir.Path += "/"
		dir.RawPath = ""
		u = dir.ResolveReference(u)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return nil, c.nextError("is not an http or https URL")
	case u.User != nil:
		return nil, c.nextError("carries credentials; refusing it")
	case !strings.HasPrefix(strings.ToLower(u.Path), strings.ToLower(c.base.Path)+"/"):
		return nil, c.nextError("points outside " + c.base.Host + c.base.Path + "; refusing to send credentials there")
	}
	return u, nil
}

// rebase puts u's path and query on the configured base's scheme and host.
func (c *Client) rebase(u *url.URL) *url.URL {
	out := *c.base
	out.Path, out.RawPath, out.RawQuery, out.Fragment, out.RawFragment = u.Path, u.RawPath, u.RawQuery, "", ""
	return &out
}

func (c *Client) nextError(why string) error {
	return &Error{Op: "next link", Message: "the next link " + why, Err: ErrNextLink}
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
