package sim

import (
	"bufio"
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// holdBack is how many bytes a faulted answer keeps back, so that even a short body can be cut.
const holdBack = 32

// answer writes one simulator answer: gzip when the client accepts it (as IIS sends Rave datasets)
// over chunked transfer, and the body faults: a connection cut mid-body (drop), a body that stops
// early but ends cleanly (truncate), headers followed by silence (stall), and a body sent one byte
// at a time (trickle).
type answer struct {
	in *Injector
	w  http.ResponseWriter
	r  *http.Request

	drop, truncate bool
	cutAt          int64
	stall          bool
	trickle        time.Duration

	started bool
	out     io.Writer // where body bytes go: gzip or buffered writer
	gz      *gzip.Writer
	bw      *bufio.Writer
	written int64
	hold    []byte
	cut     bool
	aborted bool
}

// Header is the answer's header map.
func (a *answer) Header() http.Header { return a.w.Header() }

// WriteHeader sends the status; a 200 answer is gzip-compressed when the client accepts it. Under
// the stall fault the headers go out and the answer then waits, without a body byte, until the
// client gives up or the server stops.
func (a *answer) WriteHeader(code int) {
	if a.started {
		return
	}
	a.started = true
	var wire io.Writer = a.w
	if a.trickle > 0 {
		wire = &trickleWriter{a: a}
	}
	a.bw = bufio.NewWriterSize(wire, 64<<10)
	a.out = a.bw
	if code == http.StatusOK && !a.in.noGzip && strings.Contains(a.r.Header.Get("Accept-Encoding"), "gzip") {
		a.w.Header().Set("Content-Encoding", "gzip")
		a.w.Header().Del("Content-Length")
		a.gz, _ = gzip.NewWriterLevel(a.bw, gzip.BestSpeed)
		a.out = a.gz
		a.in.counts.Add("gzip")
	}
	a.w.WriteHeader(code)
	a.in.counts.Add(strconv.Itoa(code))
	if a.stall {
		a.in.counts.Add("stall")
		if f, ok := a.w.(http.Flusher); ok {
			f.Flush()
		}
		<-a.r.Context().Done()
		a.abort()
	}
}

// Write writes body bytes, applying the body faults.
func (a *answer) Write(p []byte) (int, error) {
	if !a.started {
		a.WriteHeader(http.StatusOK)
	}
	if !a.drop && !a.truncate {
		return a.out.Write(p)
	}
	n := len(p)
	if a.cut {
		return n, nil // truncated: the rest is silently discarded
	}
	buf := append(a.hold, p...)
	if a.written+int64(len(buf)) > a.cutAt {
		keep := a.cutAt - a.written
		_, _ = a.out.Write(buf[:keep])
		a.written += keep
		a.hold = nil
		a.cutNow()
		return n, nil
	}
	if len(buf) > holdBack {
		emit := buf[:len(buf)-holdBack]
		if _, err := a.out.Write(emit); err != nil {
			return 0, err
		}
		a.written += int64(len(emit))
		buf = append([]byte(nil), buf[len(buf)-holdBack:]...)
	}
	a.hold = buf
	return n, nil
}

// cutNow applies the body fault at the current position.
func (a *answer) cutNow() {
	if a.drop {
		a.in.counts.Add("drop")
		a.cut = true
		a.flush()
		a.abort()
	}
	a.in.counts.Add("truncate")
	a.cut = true
}

// abort ends the answer without its final chunk. panic(http.ErrAbortHandler) is net/http's way to
// do it: the connection closes, and the client sees an unexpected EOF mid-body.
func (a *answer) abort() {
	a.aborted = true
	panic(http.ErrAbortHandler)
}

func (a *answer) flush() {
	if a.gz != nil {
		_ = a.gz.Flush()
	}
	if a.bw != nil {
		_ = a.bw.Flush()
	}
	if f, ok := a.w.(http.Flusher); ok {
		f.Flush()
	}
}

// finish completes the answer. A body fault that the body was too short to reach is applied here, on
// the held-back tail, so a faulted answer is always faulted.
func (a *answer) finish() {
	if a.aborted {
		return
	}
	if !a.started {
		a.WriteHeader(http.StatusOK)
	}
	if (a.drop || a.truncate) && !a.cut {
		half := a.hold[:len(a.hold)/2]
		_, _ = a.out.Write(half)
		a.hold = nil
		a.cutNow()
	}
	if a.gz != nil {
		_ = a.gz.Close()
	}
	_ = a.bw.Flush()
}

// trickleWriter sits between the answer's buffer and the connection and sends one byte every
// a.trickle, flushing each, until the request ends.
type trickleWriter struct{ a *answer }

func (t *trickleWriter) Write(p []byte) (int, error) {
	f, _ := t.a.w.(http.Flusher)
	for i := range p {
		if !sleep(t.a.r, t.a.trickle) {
			t.a.abort()
		}
		if _, err := t.a.w.Write(p[i : i+1]); err != nil {
			return i, err
		}
		if f != nil {
			f.Flush()
		}
	}
	return len(p), nil
}
