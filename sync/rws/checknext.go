package rws

import (
	"fmt"
	"net/url"
)

// CheckNext reports whether a next link may be followed (it lies under the client's base URL, where
// the credentials may go) and returns the form to store as the feed's cursor. The pull engine checks a
// link before storing it, so a refused link never becomes a cursor that every later pull fails on.
func (c *Client) CheckNext(next string) (string, error) {
	u, err := url.Parse(next)
	if err != nil {
		return "", fmt.Errorf("rws: next link: %w", err)
	}
	if !u.IsAbs() {
		u = c.base.ResolveReference(u)
	}
	if !c.within(u) {
		return "", fmt.Errorf("rws: next link points outside %s; refusing to send credentials there", c.base.Host)
	}
	return next, nil
}
