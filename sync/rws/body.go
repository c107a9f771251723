package rws

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
)

// bodyBuffer is the read-ahead of a streamed body: large reads keep the parser fed.
const bodyBuffer = 256 << 10

// body reads a successful RWS answer: it drops a leading UTF-8 byte order mark, turns a failure of the
// stream underneath (a cut connection, a stalled answer) into a retryable *Error, and reports an ODM
// document that ends before </ODM> as ErrTruncated. Package remote, underneath, bounds the reads in time
// and counts any of these errors as a failed answer for the breaker.
type body struct {
	br       *bufio.Reader
	op       string
	checkODM bool
	begun    bool

	tail   []byte // last bytes seen, for the end-of-document check
	starts int    // start tags seen, counted up to 2 (a self-closed root is a whole document)
	openLT bool   // the last read ended with '<'

	failed error
}

func newBody(r io.Reader, op string, checkODM bool) *body {
	return &body{br: bufio.NewReaderSize(r, bodyBuffer), op: op, checkODM: checkODM}
}

// Read reads the body, reporting a cut connection or a truncated document as a retryable *Error.
func (b *body) Read(p []byte) (int, error) {
	if b.failed != nil {
		return 0, b.failed
	}
	if !b.begun {
		b.begun = true
		if pre, _ := b.br.Peek(len(utf8BOM)); bytes.Equal(pre, utf8BOM) {
			_, _ = b.br.Discard(len(utf8BOM))
		}
	}
	n, err := b.br.Read(p)
	if b.checkODM && n > 0 {
		b.observe(p[:n])
	}
	switch {
	case err == nil:
		return n, nil
	case errors.Is(err, io.EOF):
		if b.checkODM && !b.complete() {
			b.failed = &Error{Op: b.op, Message: "response body ended before the ODM document was closed", Err: ErrTruncated, Retryable: true}
			return n, b.failed
		}
		return n, io.EOF
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		b.failed = err
		return n, err
	default:
		b.failed = toError(err)
		if _, ok := b.failed.(*Error); !ok {
			b.failed = &Error{Op: b.op, Message: "reading response body", Err: err, Retryable: true}
		}
		return n, b.failed
	}
}

func (b *body) observe(p []byte) {
	if b.starts < 2 {
		// Count start tags: '<' followed by anything but '?', '/' or '!'. A '<' at the end of one
		// read is decided by the first byte of the next.
		i := 0
		if b.openLT && len(p) > 0 {
			b.countTag(p[0])
		}
		b.openLT = false
		for b.starts < 2 {
			j := bytes.IndexByte(p[i:], '<')
			if j < 0 {
				break
			}
			i += j + 1
			if i == len(p) {
				b.openLT = true
				break
			}
			b.countTag(p[i])
		}
	}
	const keep = 32
	if len(p) >= keep {
		b.tail = append(b.tail[:0], p[len(p)-keep:]...)
		return
	}
	b.tail = append(b.tail, p...)
	if len(b.tail) > keep {
		b.tail = b.tail[len(b.tail)-keep:]
	}
}

func (b *body) countTag(next byte) {
	if next != '?' && next != '/' && next != '!' {
		b.starts++
	}
}

// complete reports whether the document seen so far ends its root element.
func (b *body) complete() bool {
	t := bytes.TrimRight(b.tail, " \t\r\n")
	return bytes.HasSuffix(t, []byte("</ODM>")) || (b.starts == 1 && bytes.HasSuffix(t, []byte("/>")))
}
