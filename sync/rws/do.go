package rws

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/trialsync/trialsync/sync/remote"
)

// request is one logical RWS request.
type request struct {
	method      string
	url         *url.URL
	body        []byte
	contentType string
	checkODM    bool  // the success body is an ODM document whose end can be verified
	maxBytes    int64 // bound on the answer (listings); 0: none
	once        bool  // send once (a 401 aside): the caller owns the retries (posts, through the outbox)
}

// op names the request as RWS's documentation does: "GET studies/X/subjects",
// "POST webservice.aspx?PostODMClinicalData".
func (r request) op() string {
	p := strings.TrimPrefix(r.url.Path, "/")
	if i := strings.Index(strings.ToLower(p), "ravewebservices/"); i >= 0 {
		p = p[i+len("ravewebservices/"):]
	}
	if r.method == http.MethodPost && r.url.RawQuery != "" && !strings.Contains(r.url.RawQuery, "=") {
		p += "?" + r.url.RawQuery // webservice.aspx?PostODMClinicalData names the operation
	}
	return r.method + " " + p
}

// send performs r through the shared remote client (retries, limits, breaker, offline state) and
// returns a 2xx response whose Body drops a byte order mark and, for ODM answers, reports a document
// cut short as ErrTruncated. Errors come back as *Error.
func (c *Client) send(ctx context.Context, r request) (*http.Response, error) {
	op := r.op()
	resp, err := c.rc.Do(ctx, remote.Request{
		Method: r.method, URL: r.url, Body: r.body, ContentType: r.contentType, Op: op, MaxBytes: r.maxBytes, Once: r.once,
		Wrap: func(rd io.Reader) io.Reader { return newBody(rd, op, r.checkODM) },
	})
	if err != nil {
		return nil, toError(err)
	}
	return resp, nil
}
