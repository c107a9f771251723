package sim

import (
	"bufio"
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// holdBack is how many bytes a faulted answer keeps back, so that even a short body can be cut.
const holdBack = 32

// answer writes one simulator answer: optional gzip (as IIS sends Rave datasets) over chunked
// transfer, and the body faults: a connection cut mid-body (drop) or a body that stops early but ends
// cleanly (truncate).
type answer struct {
	sim *RWS
	w   http.ResponseWriter
	r   *http.Request

	drop, truncate bool
	cutAt          int64

	started bool
	out     io.Writer // where body bytes go: gzip or buffered writer
	gz      *gzip.Writer
	bw      *bufio.Writer
	written int64
	hold    []byte
	cut     bool
	aborted bool
}

func newAnswer(s *RWS, w http.ResponseWriter, r *http.Request) *answer {
	return &answer{sim: s, w: w, r: r}
}

// Header is the answer's header map.
func (a *answer) Header() http.Header { return a.w.Header() }

// WriteHeader sends the status; a 200 answer is gzip-compressed when the client accepts it.
func (a *answer) WriteHeader(code int) {
	if a.started {
		return
	}
	a.started = true
	a.bw = bufio.NewWriterSize(a.w, 64<<10)
	a.out = a.bw
	if code == http.StatusOK && !a.sim.opts.NoGzip && strings.Contains(a.r.Header.Get("Accept-Encoding"), "gzip") {
		a.w.Header().Set("Content-Encoding", "gzip")
		a.w.Header().Del("Content-Length")
		a.gz, _ = gzip.NewWriterLevel(a.bw, gzip.BestSpeed)
		a.out = a.gz
		a.sim.count("gzip")
	}
	a.w.WriteHeader(code)
	a.sim.count(strconv.Itoa(code))
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
		a.sim.count("drop")
		a.cut, a.aborted = true, true
		a.flush()
		// The standard way to abort a response: net/http closes the connection without the final
		// chunk, so the client sees an unexpected EOF mid-body.
		panic(http.ErrAbortHandler)
	}
	a.sim.count("truncate")
	a.cut = true
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
