package app

import (
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/trialsync/trialsync/sync/agent"
)

// snapshot is the agent's state as the screens read it, with the views they share.
type snapshot struct{ agent.Snapshot }

// pullView is the Rave pull's part of a snapshot: whether it is configured, why nothing runs if
// nothing does, and each study's service.
type pullView struct {
	configured bool
	configPath string // the configuration file, read or still to be written
	// problem says why the services are not running (a configuration that cannot be loaded); "" when
	// they run or the pull is simply not configured.
	problem string
	studies []agent.ServiceState // one per configured study, in configuration order; empty until started
}

func (s snapshot) pull() pullView {
	e, _ := s.Engine(agent.EngineRavePull)
	return pullView{configured: e.Configured, configPath: s.ConfigPath, problem: s.Problem,
		studies: s.ServicesOf(agent.EngineRavePull)}
}

// canPullNow reports whether "Pull now" would start something: the pull runs and at least one study
// is neither pulling nor stopped.
func (p pullView) canPullNow() bool {
	if p.problem != "" {
		return false
	}
	for _, st := range p.studies {
		if !st.Running && !st.Stopped {
			return true
		}
	}
	return false
}

// runs is the number of completed runs over every study; when it moves, a run has ended and may
// have quarantined fragments.
func (p pullView) runs() int {
	n := 0
	for _, st := range p.studies {
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
func (p pullView) dashboardLines(now time.Time) []pullLine {
	switch {
	case p.problem != "":
		return []pullLine{{"Not running: " + oneLine(p.problem), true}}
	case !p.configured:
		return []pullLine{{"Not configured: add a [rave] section to the configuration (see the Rave pull screen).", false}}
	case len(p.studies) == 0:
		return []pullLine{{"Starting…", false}}
	}
	var out []pullLine
	for _, st := range p.studies {
		out = append(out, studyLine(st, now))
	}
	return out
}

func studyLine(st agent.ServiceState, now time.Time) pullLine {
	var b strings.Builder
	b.WriteString(st.Subject + ": ")
	switch {
	case st.Running && st.Runs == 0:
		b.WriteString("first pull running…")
	case st.Running && st.Err != "":
		b.WriteString("pulling again… (the last pull failed)")
	case st.Running:
		b.WriteString("pulling… (last pull " + shortClock(st.LastEnd, now) + ", " + count(st.Last.Figure("rows")) + " rows)")
	case st.Stopped:
		b.WriteString("stopped: " + stopText(st))
		return pullLine{b.String(), true}
	case st.Offline:
		b.WriteString("Rave cannot be reached (" + oneLine(st.Err) + "); the pull resumes when it answers.")
		return pullLine{b.String(), true}
	case st.Runs == 0:
		b.WriteString("waiting for the first pull")
	case st.Err != "":
		b.WriteString("last pull failed at " + shortClock(st.LastEnd, now) + ": " + sentence(st.Err) +
			" Next try at " + shortClock(st.NextRun, now) + ".")
		return pullLine{b.String(), true}
	default:
		b.WriteString("last pull " + shortClock(st.LastEnd, now) + ", " + count(st.Last.Figure("rows")) + " rows")
		if n := st.Last.Figure("quarantined"); n > 0 {
			b.WriteString(", " + count(n) + " quarantined")
		}
		b.WriteString(", next " + shortClock(st.NextRun, now))
	}
	return pullLine{b.String(), false}
}

// stopText is why a service stopped and what starts it again, as sentences.
func stopText(st agent.ServiceState) string {
	s := sentence(st.Err)
	if st.Hint != "" {
		s += " " + sentence(st.Hint)
	}
	return s
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

// otherEngineLines is a line per service of every registered engine but the Rave pull (the exposure
// intake, the outbound queue's sends, …), or one line per engine saying it is not configured.
func otherEngineLines(s snapshot, now time.Time) []pullLine {
	var out []pullLine
	for _, e := range s.Engines {
		switch e.Name {
		case agent.EngineRavePull, agent.EngineSubjects, agent.EngineChecklist:
			continue // each has its own line
		}
		services := s.ServicesOf(e.Name)
		switch {
		case !e.Configured:
			out = append(out, pullLine{e.Title + ": not configured (" + e.Section + ").", false})
			continue
		case len(services) == 0:
			out = append(out, pullLine{e.Title + ": not running.", false})
			continue
		}
		for _, st := range services {
			out = append(out, serviceLine(st, now))
		}
	}
	if len(out) == 0 {
		out = append(out, pullLine{"None in this version.", false})
	}
	return out
}

// serviceLine is one service's state in a line: running, its last run, or why it does not run.
func serviceLine(st agent.ServiceState, now time.Time) pullLine {
	name := st.Name + ": "
	switch {
	case st.Stopped:
		return pullLine{name + "stopped: " + stopText(st), true}
	case st.Offline:
		return pullLine{name + "waiting for its remote system to answer (" + oneLine(st.Err) + ").", true}
	case st.Running:
		return pullLine{name + "running…", false}
	case st.Runs == 0:
		return pullLine{name + "waiting for its first run.", false}
	case st.Err != "":
		return pullLine{name + "the last run failed at " + shortClock(st.LastEnd, now) + ": " + sentence(st.Err) +
			" Next try at " + shortClock(st.NextRun, now) + ".", true}
	}
	text := name + "last run " + shortClock(st.LastEnd, now)
	if st.Last.Text != "" {
		text += ": " + st.Last.Text
	}
	return pullLine{text + "; next " + shortClock(st.NextRun, now) + ".", false}
}
