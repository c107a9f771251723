package app

import (
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// PullStatus is the Rave pull as the GUI shows it: whether it is configured, why it is not running
// if it is not, and each study's runs.
type PullStatus struct {
	Configured bool   // the configuration has a [rave] section
	ConfigPath string // the configuration file, read or still to be written
	// Problem says why the pull is not running (a bad configuration, a missing credential, a store
	// that cannot be opened); "" when it runs or is simply not configured.
	Problem string
	// Studies are the pull services, one per configured study in configuration order; empty until
	// the pull has started.
	Studies []PullState
}

// PullState is one study's pull. Its fields follow sync/agent's PullState with the last run's counts
// flattened, so the adapter in cmd/trialsync is a field-by-field copy.
type PullState struct {
	Study                       string
	Running                     bool
	Runs                        int // completed runs, failed ones included
	LastStart, LastEnd, NextRun time.Time
	Pages, Rows, Written        int // of the last completed run
	Quarantined                 int
	Err                         string // the last run's failure, "" after a success
}

// canPullNow reports whether "Pull now" would start something: the pull runs and at least one
// study is not already pulling.
func (s PullStatus) canPullNow() bool {
	if s.Problem != "" {
		return false
	}
	for _, st := range s.Studies {
		if !st.Running {
			return true
		}
	}
	return false
}

// runs is the number of completed runs over every study; when it moves, a run has ended and may
// have quarantined fragments.
func (s PullStatus) runs() int {
	n := 0
	for _, st := range s.Studies {
		n += st.Runs
	}
	return n
}

// pullLine is one line of the dashboard's Rave pull entry and whether it reports a failure.
type pullLine struct {
	text   string
	failed bool
}

// dashboardLines is the Rave pull's state in a line per study (or one line saying why there is
// none), e.g. "ALPHA(Prod): last pull 14:02, 4,872 rows, next 14:07".
func (s PullStatus) dashboardLines(now time.Time) []pullLine {
	switch {
	case s.Problem != "":
		return []pullLine{{"Not running: " + oneLine(s.Problem), true}}
	case !s.Configured:
		return []pullLine{{"Not configured: add a [rave] section to the configuration (see the Rave pull screen).", false}}
	case len(s.Studies) == 0:
		return []pullLine{{"Starting…", false}}
	}
	var out []pullLine
	for _, st := range s.Studies {
		out = append(out, st.dashboardLine(now))
	}
	return out
}

func (st PullState) dashboardLine(now time.Time) pullLine {
	var b strings.Builder
	b.WriteString(st.Study + ": ")
	switch {
	case st.Running && st.Runs == 0:
		b.WriteString("first pull running…")
	case st.Running && st.Err != "":
		b.WriteString("pulling again… (the last pull failed)")
	case st.Running:
		b.WriteString("pulling… (last pull " + shortClock(st.LastEnd, now) + ", " + count(st.Rows) + " rows)")
	case st.Runs == 0:
		b.WriteString("waiting for the first pull")
	case st.Err != "":
		b.WriteString("last pull failed at " + shortClock(st.LastEnd, now) + ": " + sentence(st.Err) +
			" Next try at " + shortClock(st.NextRun, now) + ".")
		return pullLine{b.String(), true}
	default:
		b.WriteString("last pull " + shortClock(st.LastEnd, now) + ", " + count(st.Rows) + " rows")
		if st.Quarantined > 0 {
			b.WriteString(", " + count(st.Quarantined) + " quarantined")
		}
		b.WriteString(", next " + shortClock(st.NextRun, now))
	}
	return pullLine{b.String(), false}
}

// count writes n with thousands separators (4,872).
func count(n int) string { return message.NewPrinter(language.English).Sprintf("%d", n) }

// clock is t in local time to the second, with the date when it is not today; "—" for no time.
func clock(t, now time.Time) string {
	return clockLayout(t, now, "15:04:05", "Jan 2 15:04:05")
}

// shortClock is clock to the minute, for one-line summaries.
func shortClock(t, now time.Time) string {
	return clockLayout(t, now, "15:04", "Jan 2 15:04")
}

func clockLayout(t, now time.Time, today, other string) string {
	if t.IsZero() {
		return "—"
	}
	t, now = t.Local(), now.Local()
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format(today)
	}
	return t.Format(other)
}
