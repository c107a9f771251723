package ravepull

import (
	"crypto/sha256"
	"hash"
	"io"
	"sync"
)

// readAhead reads r on its own goroutine into a few large chunks, so that the network read and gzip
// decoding of an RWS answer (done by net/http inside Read), and the SHA-256 of the answer for its audit
// entry, overlap with tokenizing on the parser's goroutine. Close stops the reader goroutine; it does
// not close r.
type readAhead struct {
	hash   hash.Hash // of every byte read from r, complete once Read has returned io.EOF
	chunks chan []byte
	free   chan []byte
	done   chan struct{}
	once   sync.Once
	buf    []byte // the chunk being read out, whole
	cur    []byte // its unread rest
	err    error
	errc   chan error
}

const (
	readAheadChunk = 256 << 10
	readAheadDepth = 4
)

func newReadAhead(r io.Reader) *readAhead {
	ra := &readAhead{chunks: make(chan []byte, readAheadDepth), free: make(chan []byte, readAheadDepth+1),
		done: make(chan struct{}), errc: make(chan error, 1), hash: sha256.New()}
	for range readAheadDepth + 1 {
		ra.free <- make([]byte, readAheadChunk)
	}
	go ra.fill(r)
	return ra
}

func (ra *readAhead) fill(r io.Reader) {
	defer close(ra.chunks)
	for {
		var buf []byte
		select {
		case buf = <-ra.free:
		case <-ra.done:
			return
		}
		n, err := io.ReadFull(r, buf[:cap(buf)])
		if n > 0 {
			ra.hash.Write(buf[:n])
			select {
			case ra.chunks <- buf[:n]:
			case <-ra.done:
				return
			}
		}
		if err != nil {
			if err == io.ErrUnexpectedEOF {
				err = io.EOF // a short last chunk
			}
			ra.errc <- err
			return
		}
	}
}

// Read implements io.Reader.
func (ra *readAhead) Read(p []byte) (int, error) {
	for len(ra.cur) == 0 {
		if ra.err != nil {
			return 0, ra.err
		}
		if ra.buf != nil {
			ra.free <- ra.buf[:cap(ra.buf)]
			ra.buf = nil
		}
		c, ok := <-ra.chunks
		if !ok {
			ra.err = <-ra.errc
			return 0, ra.err
		}
		ra.buf, ra.cur = c, c
	}
	n := copy(p, ra.cur)
	ra.cur = ra.cur[n:]
	return n, nil
}

// Sum is the SHA-256 of the whole body: call it only after Read has returned io.EOF (the reader
// goroutine has hashed every byte and ended by then).
func (ra *readAhead) Sum() []byte { return ra.hash.Sum(nil) }

// Close stops the goroutine.
func (ra *readAhead) Close() { ra.once.Do(func() { close(ra.done) }) }
