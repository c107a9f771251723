package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// progress reports long work on stderr: a redrawn bar on a terminal, a plain line every few seconds
// otherwise (logs and CI read those). Call done when the work ends.
type progress struct {
	w        io.Writer
	label    string
	terminal bool
	every    time.Duration
	last     time.Time
	drawn    bool
}

func newProgress(w io.Writer, label string) *progress {
	p := &progress{w: w, label: label, every: 2 * time.Second, last: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.terminal, p.every = true, 100*time.Millisecond
	}
	return p
}

// update is safe to call as often as the work likes; it draws at most every p.every.
func (p *progress) update(done, total uint64) {
	if time.Since(p.last) < p.every {
		return
	}
	p.last = time.Now()
	if !p.terminal {
		fmt.Fprintf(p.w, "%s: %d/%d\n", p.label, done, total)
		return
	}
	const width = 30
	filled := 0
	pct := 0.0
	if total > 0 {
		pct = float64(done) / float64(total)
		filled = int(pct * width)
	}
	fmt.Fprintf(p.w, "\r%s [%s%s] %3.0f%% %d/%d", p.label, strings.Repeat("#", filled), strings.Repeat(" ", width-filled), pct*100, done, total)
	p.drawn = true
}

func (p *progress) done() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
