package app

import (
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/trialsync/trialsync/sync/agent"
)

// dashboard is the first screen: the store, the audit trail's checkpoint, the configuration, and
// where each engine stands.
type dashboard struct {
	u                                             *UI
	store, install, schema, entries, tip, run, cf *widget.Label
	verified                                      *widget.Label
	errText                                       *widget.Label
	remotes                                       *fyne.Container // a line per remote system
	pull                                          *fyne.Container // a line per study
	subjects                                      *widget.Label   // the subject push (subjects.go)
	checklists                                    *widget.Label   // open conflicts and the oldest one's age
}

func newDashboard(u *UI) (fyne.CanvasObject, func()) {
	d := &dashboard{u: u, store: field(), install: field(), schema: field(), entries: field(), tip: field(),
		run: field(), cf: field(), verified: field(), errText: errorLabel(), remotes: container.NewVBox(),
		pull: container.NewVBox(), subjects: field(), checklists: field()}
	d.subjects.Truncation, d.subjects.Wrapping = fyne.TextTruncateOff, fyne.TextWrapWord
	// One form for every section, so that the values line up down the whole screen.
	section := func(title string) []fyne.CanvasObject {
		return []fyne.CanvasObject{heading(title), widget.NewLabel("")}
	}
	var rows []fyne.CanvasObject
	rows = append(rows, section("Store")...)
	rows = append(rows,
		widget.NewLabel("File"), d.store,
		widget.NewLabel("Install ID"), d.install,
		widget.NewLabel("Schema"), d.schema,
		widget.NewLabel("Run ID"), d.run)
	rows = append(rows, section("Audit trail")...)
	rows = append(rows,
		widget.NewLabel("Entries"), d.entries,
		widget.NewLabel("Tip"), d.tip,
		widget.NewLabel("Verified"), d.verified)
	rows = append(rows, section("Configuration")...)
	rows = append(rows, widget.NewLabel("File"), d.cf)
	rows = append(rows, section("Remote systems")...)
	rows = append(rows, widget.NewLabel("Reachable"), d.remotes)
	rows = append(rows, section("Engines")...)
	rows = append(rows, widget.NewLabel("Rave pull"), d.pull)
	rows = append(rows, widget.NewLabel("Subjects"), d.subjects)
	for _, e := range []struct {
		name string
		p    plan
	}{
		{"Exposures", exposuresPlan()},
	} {
		rows = append(rows, widget.NewLabel(e.name), widget.NewLabel(e.p.state()))
	}
	rows = append(rows, widget.NewLabel("Checklists"), d.checklists)
	refresh := widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), d.refresh)
	content := container.NewVBox(form(rows...), d.errText, container.NewHBox(refresh))
	u.state.subscribe(d.show)
	return container.NewVScroll(content), d.refresh
}

// show puts the snapshot on the dashboard: the Rave pull's line per study, the remotes, the last
// verification; failures in red.
func (d *dashboard) show(s snapshot) {
	now := time.Now()
	d.verified.SetText(verifiedText(s.Audit, now))
	d.verified.Importance = widget.MediumImportance
	if s.Audit.Problem != "" {
		d.verified.Importance = widget.DangerImportance
	}
	d.verified.Refresh()
	d.remotes.RemoveAll()
	for _, r := range s.Remotes {
		label := field()
		label.Truncation = fyne.TextTruncateOff
		label.Wrapping = fyne.TextWrapWord
		label.SetText(remoteText(r, now))
		if r.Status == agent.RemoteOffline || r.Status == agent.RemotePaused {
			label.Importance = widget.DangerImportance
		}
		d.remotes.Add(label)
	}
	if len(s.Remotes) == 0 {
		d.remotes.Add(widget.NewLabel("None contacted yet."))
	}
	d.checklists.SetText(checklistsLine(s.Checklist, now))
	sl := subjectsDashboardLine(s, now)
	d.subjects.Importance = widget.MediumImportance
	if sl.failed {
		d.subjects.Importance = widget.DangerImportance
	}
	d.subjects.SetText(sl.text)
	d.pull.RemoveAll()
	for _, l := range s.pull().dashboardLines(now) {
		label := field()
		label.Wrapping = fyne.TextWrapWord
		label.Truncation = fyne.TextTruncateOff
		if l.failed {
			label.Importance = widget.DangerImportance
		}
		label.SetText(l.text)
		d.pull.Add(label)
	}
}

func (d *dashboard) refresh() {
	d.u.state.reload()
	d.u.loadStatus(func(st agent.Status, err error) {
		showError(d.errText, "Could not read the store", err)
		d.store.SetText(st.StorePath)
		d.install.SetText(st.InstallID)
		d.schema.SetText(strconv.Itoa(st.Schema))
		d.run.SetText(st.RunID)
		d.entries.SetText("")
		if err == nil {
			d.entries.SetText(strconv.FormatUint(st.AuditCount, 10) + " (covered by the keyed checkpoint)")
		}
		d.tip.SetText(st.AuditTip)
		d.cf.SetText(configState(st))
	})
}

// configState is the configuration file and whether it loaded.
func configState(st agent.Status) string {
	if st.ConfigError != "" {
		return st.ConfigPath + " — " + st.ConfigError
	}
	return st.ConfigPath
}

// verifiedText is the last verification of the audit chain in this run.
func verifiedText(a agent.AuditState, now time.Time) string {
	switch {
	case a.Verified.IsZero():
		return "Not yet since trialsync started (Audit screen, Verify)."
	case a.Problem != "":
		return "At " + shortClock(a.Verified, now) + ": " + sentence(capitalize(a.Problem))
	}
	return "At " + shortClock(a.Verified, now) + ": the chain is intact."
}

// remoteText is one remote system's line: whether it answers, and its last failure.
func remoteText(r agent.RemoteState, now time.Time) string {
	s := r.Title + ": " + string(r.Status)
	if !r.Since.IsZero() {
		s += " (at " + shortClock(r.Since, now) + ")"
	}
	if r.Err != "" {
		s += ". Last failure: " + sentence(r.Err)
	}
	return s
}
