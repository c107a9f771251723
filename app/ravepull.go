package app

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/trialsync/trialsync/sync/agent"
)

// ravePullPurpose opens the screen: what the pull does.
const ravePullPurpose = "Streams clinical data and audit records out of Medidata Rave through Rave Web " +
	"Services, study by study and incrementally, into the local store. Fragments that cannot be stored " +
	"are quarantined below for review instead of halting the pull."

// raveExample is the smallest [rave] section that pulls one study, shown when there is none. A test
// loads it with the real configuration loader, so it stays valid.
const raveExample = `[rave]
url = "https://example.mdsol.com/RaveWebServices"
auth = "basic"                 # the password is the keyring entry rave.password
user = "rws.integration"
poll = "5m"                    # how often each study is pulled

[[rave.study]]
oid = "ALPHA(Prod)"
sites = ["101", "102"]         # leave out for every site`

// studyColumns head the grid of studies, one row per study under them.
var studyColumns = [...]string{"Study", "State", "Last run", "Pages", "Rows", "Written", "Quarantined", "Next run"}

// ravePullScreen shows each study's pull as it happens, a Pull now button, and the quarantined
// fragments. Its fields belong to the Fyne goroutine.
type ravePullScreen struct {
	u    *UI
	pull pullView // the state on show
	runs int      // completed runs when the quarantine was last loaded

	pullNow  *widget.Button
	setup    *setupHelp // how to configure the pull; shown when there is no [rave] section
	problem  *widget.Label
	grid     *fyne.Container
	rows     []*studyRow
	failures *fyne.Container // one red line per study whose last run failed or that stopped

	quarantine *quarantineView
}

func newRavePull(u *UI) (fyne.CanvasObject, func()) {
	s := &ravePullScreen{u: u, problem: errorLabel(), failures: container.NewVBox()}
	u.rave = s
	s.pullNow = widget.NewButtonWithIcon("Pull now", theme.DownloadIcon(), s.startPullNow)
	s.pullNow.Importance = widget.HighImportance
	s.pullNow.Disable()
	purpose := widget.NewLabel(ravePullPurpose)
	purpose.Wrapping = fyne.TextWrapWord

	s.setup = newSetupHelp("The Rave pull is not configured", "Add a [rave] section like this one to ", raveExample,
		"Then store the password in the OS keyring with `trialsync creds set rave.password` "+
			"(it reads the secret from standard input) and reopen trialsync.")

	s.grid = container.NewGridWithColumns(len(studyColumns))
	for _, c := range studyColumns {
		s.grid.Add(heading(c))
	}
	s.grid.Hide()

	s.quarantine = newQuarantineView(u)
	top := container.NewVBox(container.NewHBox(s.pullNow), purpose, s.setup.box, s.problem, s.grid, s.failures,
		widget.NewSeparator(), s.quarantine.header)
	u.state.subscribe(s.show)
	shown := func() {
		u.state.reload()
		s.quarantine.load()
	}
	return container.NewBorder(top, nil, nil, nil, s.quarantine.body), shown
}

// startPullNow kicks every study's pull; the states that follow show it running.
func (s *ravePullScreen) startPullNow() {
	s.u.bridge.background(func(context.Context) func() {
		s.u.backend.Kick(agent.EngineRavePull)
		return nil
	})
}

// show puts a new state on screen, and reloads the quarantine when a run has ended since the last
// load (it may have quarantined fragments).
func (s *ravePullScreen) show(snap snapshot) {
	st := snap.pull()
	s.pull = st
	now := time.Now()
	setEnabled(s.pullNow, st.canPullNow())

	s.setup.show(!st.configured && st.problem == "", st.configPath)
	if st.problem != "" {
		s.problem.SetText("The pull is not running: " + sentence(st.problem) + " Fix this, then reopen trialsync.")
		s.problem.Show()
	} else {
		s.problem.Hide()
	}

	if len(s.rows) != len(st.studies) {
		s.grid.Objects = s.grid.Objects[:len(studyColumns)]
		s.rows = s.rows[:0]
		for range st.studies {
			r := newStudyRow()
			s.rows = append(s.rows, r)
			s.grid.Objects = append(s.grid.Objects, r.cells...)
		}
	}
	s.failures.RemoveAll()
	for i, ps := range st.studies {
		s.rows[i].show(ps, now)
		if text := failureText(ps, now); text != "" {
			l := errorLabel()
			l.SetText(text)
			l.Show()
			s.failures.Add(l)
		}
	}
	setVisible(s.grid, len(st.studies) > 0)
	s.grid.Refresh()

	if n := st.runs(); n != s.runs {
		s.runs = n
		s.quarantine.load()
	}
}

// studyRow is one study's cells in the grid.
type studyRow struct {
	cells    []fyne.CanvasObject
	activity *widget.Activity
	labels   []*widget.Label // every column; the state's label sits beside the activity
}

func newStudyRow() *studyRow {
	r := &studyRow{activity: widget.NewActivity()}
	r.activity.Hide()
	for i := range studyColumns {
		l := widget.NewLabel("")
		l.Truncation = fyne.TextTruncateEllipsis
		r.labels = append(r.labels, l)
		if i == 1 {
			r.cells = append(r.cells, container.NewBorder(nil, nil, r.activity, nil, l))
			continue
		}
		r.cells = append(r.cells, l)
	}
	return r
}

// failureText is the red line under the grid for a study whose last run failed or that stopped, ""
// for one that is fine.
func failureText(st agent.ServiceState, now time.Time) string {
	switch {
	case st.Err == "":
		return ""
	case st.Stopped:
		return st.Subject + ": the pull has stopped: " + stopText(st)
	case st.Offline:
		return st.Subject + ": Rave cannot be reached: " + sentence(st.Err) + " The pull resumes as soon as it answers."
	}
	return st.Subject + ": the last run failed: " + sentence(st.Err) + " Next try at " + clock(st.NextRun, now) + "."
}

func (r *studyRow) show(st agent.ServiceState, now time.Time) {
	state, imp := "idle", widget.MediumImportance
	switch {
	case st.Running:
		state = "pulling…"
	case st.Stopped:
		state, imp = "stopped", widget.DangerImportance
	case st.Offline:
		state, imp = "offline", widget.DangerImportance
	case st.Runs == 0:
		state = "waiting"
	case st.Err != "":
		state, imp = "failed", widget.DangerImportance
	}
	spin(r.activity, st.Running)
	last := st.LastEnd
	if st.Runs == 0 {
		last = time.Time{}
	}
	texts := []string{st.Subject, state, clock(last, now), "", "", "", "", clock(st.NextRun, now)}
	if st.Runs > 0 {
		for i, f := range []string{"pages", "rows", "written", "quarantined"} {
			texts[3+i] = count(st.Last.Figure(f))
		}
	}
	if st.Running {
		texts[7] = "—"
	}
	for i, l := range r.labels {
		l.Importance = widget.MediumImportance
		if i == 1 {
			l.Importance = imp
		}
		l.SetText(texts[i])
	}
}
