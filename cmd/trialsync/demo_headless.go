package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/trialsync/trialsync/sync/agent"
	"github.com/trialsync/trialsync/sync/exposure"
	"github.com/trialsync/trialsync/sync/ravepull"
	"github.com/trialsync/trialsync/sync/remote"
)

// demoSummary is what the headless demo did, as its last lines say.
type demoSummary struct {
	rows, quarantined  int
	sends, dead        int
	urgent             int
	conflicts          int
	armChanges         int
	auditOK            bool
	auditEntries       uint64
	auditProblem       string
	rateLimited        int // 429 answers the simulated Rave gave (the storm)
	pullAttempts       int
	flowErrs           []error
	verifiedInSchedule bool
}

// runHeadless runs the demo's flows to completion with progress on stderr, verifies the audit trail
// and prints the summary. It fails (exit 1) when a flow could not complete, and with exit 3 when the
// audit trail is not intact.
func (d *demo) runHeadless(ctx context.Context, out output, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var sum demoSummary
	steps := d.flows()
	for i, f := range steps {
		out.printf("[%d/%d] %s\n", i+1, len(steps)+1, f.title)
		if err := f.run(ctx, out, &sum); err != nil {
			sum.flowErrs = append(sum.flowErrs, fmt.Errorf("%s: %w", f.title, err))
			out.printf("      failed: %s\n", d.agent.Redact(oneLine(err.Error())))
		}
	}
	out.printf("[%d/%d] Verifying the audit trail\n", len(steps)+1, len(steps)+1)
	bar := newProgress(out.text, "      audit trail")
	rep, err := d.agent.VerifyAudit(ctx, bar.update)
	bar.done()
	if err != nil {
		return fmt.Errorf("demo: verifying the audit trail: %w", err)
	}
	sum.auditEntries, sum.auditOK = rep.Entries, rep.OK()
	if !rep.OK() {
		sum.auditProblem = rep.Problem.Error()
	}
	if r := d.rave(); r != nil {
		sum.rateLimited = r.Count("429")
	}
	d.printSummary(out, sum)
	switch {
	case !sum.auditOK:
		return verifyError{fmt.Errorf("demo: the audit trail is not intact: %s", sum.auditProblem)}
	case len(sum.flowErrs) > 0:
		return fmt.Errorf("demo: %w", errors.Join(sum.flowErrs...))
	}
	return nil
}

// demoFlow is one step of the headless demo.
type demoFlow struct {
	title string
	run   func(ctx context.Context, out output, sum *demoSummary) error
}

// flows are the headless demo's steps for the simulators this build has. The exposure sends, the
// subject push and the checklist reconciliation join here as their engines come, each adding its
// counts (sends, dead letters, conflicts) to the summary.
func (d *demo) flows() []demoFlow {
	var out []demoFlow
	if d.rave() != nil {
		out = append(out, demoFlow{"Pulling the study from the simulated Rave (one 429 storm and one malformed subject on purpose)", d.pullRave})
		out = append(out, demoFlow{"Sending a month of daily doses to Rave (one names a drug outside the subject's arm, on purpose)", d.sendDoses})
		out = append(out, demoFlow{"Pushing the randomized subjects to SureAdhere (one subject's arm is corrected after its push, on purpose)", d.pushSubjects})
	}
	out = append(out, demoFlow{"Reconciling the site-activation checklists between the EDC and the CTMS (a few conflicts, on purpose)", d.reconcileChecklists})
	return out
}

// pullRave pulls every configured study once, as the pull service does: a run that fails on something
// a retry can fix (the storm outlasting the client's own retries) is run again after a pause.
func (d *demo) pullRave(ctx context.Context, out output, sum *demoSummary) error {
	line := newCountLine(out.text)
	defer line.done()
	progress := func(p ravepull.Progress) {
		line.set(fmt.Sprintf("      %s %s: %s pages, %s rows", p.Study, p.Feed, thousands(p.Pages), thousands(p.Rows)))
	}
	wait := 2 * time.Second
	for {
		sum.pullAttempts++
		results, err := d.agent.Pull(ctx, agent.PullOptions{Progress: progress})
		for _, r := range results { // a failed attempt's committed pages count too: the next one resumes after them
			sum.rows += r.Rows
			sum.quarantined += r.Quarantined
		}
		if err == nil {
			line.done()
			out.printf("      %s rows pulled, %s fragments quarantined for review\n", thousands(sum.rows), thousands(sum.quarantined))
			return nil
		}
		if agent.IsFatal(err) || ctx.Err() != nil || sum.pullAttempts >= 12 {
			return err
		}
		var re *remote.Error
		if errors.As(err, &re) && re.RetryAfter > wait {
			wait = re.RetryAfter.Round(time.Second) // Rave asked for a pause, or its breaker is open
		}
		line.done()
		out.printf("      the pull stopped (%s); going on in %s\n", d.agent.Redact(oneLine(err.Error())), wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// sendDoses queues the month of doses (from the arms the pull stored) and delivers them to the
// simulated Rave through the outbound queue, as the send service does, with a progress bar.
func (d *demo) sendDoses(ctx context.Context, out output, sum *demoSummary) error {
	path, n, err := d.queueDoses(ctx)
	if err != nil {
		return err
	}
	out.printf("      %s dose records queued\n", thousands(n))
	bar := newProgress(out.text, "      sending")
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() { // the queue's progress, read from the store while the run sends
		defer close(watched)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			if c, err := d.agent.QueueCounts(ctx); err == nil {
				total := c.Pending + c.Sending + c.Held + c.Done + c.Dead + c.Discarded
				bar.update(uint64(c.Done+c.Dead+c.Discarded), uint64(total))
			}
		}
	}()
	rep, err := d.agent.Send(ctx)
	close(stop)
	<-watched
	bar.done()
	_ = os.Remove(path)
	sum.sends, sum.dead = rep.Sent, rep.Dead
	if c, cerr := d.agent.QueueCounts(ctx); cerr == nil {
		sum.dead, sum.urgent = c.Dead, c.Urgent
	}
	out.printf("      %s sent, %s dead (%s urgent), %s held\n", thousands(rep.Sent), thousands(sum.dead), thousands(sum.urgent), thousands(rep.Held))
	return err
}

// queueDoses writes the month of doses for the arms the pull stored and queues them, returning the
// file (for the caller to remove) and the records queued.
func (d *demo) queueDoses(ctx context.Context) (string, int, error) {
	arms, sites, err := d.pulledArms(ctx)
	if err != nil {
		return "", 0, err
	}
	if len(arms) == 0 {
		return "", 0, errors.New("no subject's arm was pulled from Rave: nothing to dose")
	}
	path, _, err := demoDoses(d.study, arms, sites, d.dir)
	if err != nil {
		return "", 0, err
	}
	res, err := d.agent.ImportExposures(ctx, path, func(e exposure.Entry) {
		d.agent.Log().Warn().Str("record", e.Rejection(path)).Msg("demo: a dose record was refused")
	})
	if err != nil {
		return path, res.Imported, err
	}
	if res.Rejected > 0 {
		return path, res.Imported, fmt.Errorf("%d of the demo's dose records were refused by the checks", res.Rejected)
	}
	return path, res.Imported, nil
}

// printSummary writes the demo's result: what moved, what failed, what waits for a person, and the
// audit trail's state.
func (d *demo) printSummary(out output, s demoSummary) {
	out.printf("\nsummary\n")
	out.printf("  rows pulled from Rave:   %s (%s quarantined; the simulated Rave answered 429 %s times)\n",
		thousands(s.rows), thousands(s.quarantined), thousands(s.rateLimited))
	out.printf("  messages sent:           %s\n", thousands(s.sends))
	out.printf("  dead letters:            %s (%s urgent: a drug outside the subject's arm)\n", thousands(s.dead), thousands(s.urgent))
	out.printf("  checklist conflicts:     %s (for a person to decide)\n", thousands(s.conflicts))
	out.printf("  arm changes after push:  %s (for a person to decide)\n", thousands(s.armChanges))
	if s.auditOK {
		out.printf("  audit trail:             intact (%s entries)\n", thousands(int(s.auditEntries)))
	} else {
		out.printf("  audit trail:             BROKEN: %s\n", s.auditProblem)
	}
	out.printf("  %s\n", d.keyNote)
}

func thousands(n int) string { return message.NewPrinter(language.English).Sprintf("%d", n) }

// countLine shows one changing line of counts: redrawn in place on a terminal, printed at most every
// two seconds otherwise.
type countLine struct {
	w        io.Writer
	terminal bool
	mu       sync.Mutex
	last     time.Time
	text     string
	drawn    bool
}

func newCountLine(w io.Writer) *countLine {
	l := &countLine{w: w}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		l.terminal = true
	}
	return l
}

func (l *countLine) set(text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.text = text
	every := 2 * time.Second
	if l.terminal {
		every = 100 * time.Millisecond
	}
	if time.Since(l.last) < every {
		return
	}
	l.last = time.Now()
	if l.terminal {
		fmt.Fprintf(l.w, "\r\033[K%s", text)
		l.drawn = true
		return
	}
	fmt.Fprintln(l.w, text)
}

// done ends the line (on a terminal, clears it).
func (l *countLine) done() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.drawn {
		fmt.Fprint(l.w, "\r\033[K")
		l.drawn = false
	}
}
