package rws

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Bounds on a listing read into memory with encoding/xml, which has none of its own: a small gzip answer
// can hold a 400 MB attribute, and encoding/xml would hold all of it (several times over).
const (
	// maxListingBytes bounds a listing's decompressed size. A subject is a few hundred bytes, so this
	// holds any real study many times over.
	maxListingBytes = 64 << 20
	// maxListingToken bounds one tag with its attributes, or one run of text.
	maxListingToken = 64 << 10
	// maxListingEntries bounds the subjects (or studies) kept from one listing.
	maxListingEntries = 250_000
)

// listingGuard stands between a listing's answer and encoding/xml and bounds what the decoder can be
// made to hold: the bytes in all, and the bytes from one '<' to the next (a tag with its attributes and
// the text after it: an attribute value cannot contain '<'). Markup that could hold '<' inside a token
// of its own — a DOCTYPE, a comment, a CDATA section, a processing instruction after the XML
// declaration — is refused: RWS never sends it in a listing.
type listingGuard struct {
	r    io.Reader
	op   string
	what string // "subject listing"

	limit   int64
	n       int64
	maxRun  int
	run     int  // bytes since the last '<'
	lts     int  // '<' seen
	afterLT bool // the last byte read was '<'
	err     error
}

func (c *Client) guard(r io.Reader, op, what string) *listingGuard {
	return &listingGuard{r: r, op: op, what: what, limit: c.listingBytes, maxRun: c.listingToken}
}

// Read reads from the answer and stops, with an *Error, at the first bound crossed.
func (g *listingGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	if g.n > g.limit {
		return 0, g.fail("is larger than " + size(g.limit))
	}
	for b := p[:n]; len(b) > 0; {
		if g.afterLT {
			g.afterLT = false
			if b[0] == '!' || b[0] == '?' && g.lts > 1 {
				return 0, g.fail("holds a DOCTYPE, comment, CDATA section or processing instruction, which RWS never sends")
			}
		}
		i := bytes.IndexByte(b, '<')
		if i < 0 {
			g.run += len(b)
			break
		}
		if g.run+i > g.maxRun {
			g.run += i
			break
		}
		g.run, g.lts, g.afterLT = 0, g.lts+1, true
		b = b[i+1:]
	}
	if g.run > g.maxRun {
		return 0, g.fail("holds a tag or text longer than " + size(int64(g.maxRun)))
	}
	return n, err
}

// size writes a bound in MiB or KiB when it is a whole number of them.
func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func (g *listingGuard) fail(why string) error {
	g.err = &Error{Op: g.op, Message: "the " + g.what + " " + why + "; refusing it"}
	return g.err
}

// listingError says why a listing could not be read: the guard's or the body's own *Error as it is, a
// decoding problem as a malformed listing.
func listingError(op, what string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Op: op, Message: "the " + what + " is not well-formed XML: " + clip(err.Error())}
}
