package app

import (
	"fmt"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/trialsync/trialsync/sync/agent"
)

// dashboard is the first screen, what a coordinator reads at a glance: whether data is flowing (rows
// today, the week's chart, each remote system), what is waiting and what failed (the queue, dead
// letters, urgent failures), what needs their decision (conflicts, quarantined fragments), and whether
// the audit trail is intact. Every count is a button that opens the screen explaining it. Everything
// on it comes from the agent's snapshot; the store's details come from Status.
type dashboard struct {
	u *UI

	tiles   glance
	sites   *siteTable
	remotes *fyne.Container // a line per remote system
	audit   *explained
	chart   *ActivityChart
	pull    *fyne.Container // the Rave pull's line per study
	others  *fyne.Container // a line per service of the other registered engines
	// subjects is the subject push's line (subjects.go), checklists the reconciliation's (checklists.go).
	subjects, checklists *widget.Label

	store, install, schema, entries, tip, run, cf *widget.Label
	errText                                       *widget.Label
}

// glance is the row of counts at the top of the dashboard.
type glance struct {
	rows, queued, dead, urgent, conflicts, quarantined, audit *widget.Button
}

// remoteNames are the remote systems the dashboard always lists, in order: the agent's names and the
// titles people know them by.
var remoteNames = []struct{ name, title string }{
	{agent.RemoteRave, "Rave"}, {"sureadhere", "SureAdhere"}, {"edc", "EDC"}, {"ctms", "CTMS"},
}

func newDashboard(u *UI) (fyne.CanvasObject, func()) {
	d := &dashboard{u: u, store: field(), install: field(), schema: field(), entries: field(), tip: field(),
		run: field(), cf: field(), errText: errorLabel(), remotes: container.NewVBox(), pull: container.NewVBox(), others: container.NewVBox(),
		subjects: wrapped(), checklists: wrapped(),
		audit: newExplained(), chart: NewActivityChart(Activity{})}
	tile := func(screen string) *widget.Button {
		b := widget.NewButton("", func() { u.SelectScreen(screen) })
		b.Alignment = widget.ButtonAlignLeading
		return b
	}
	d.tiles = glance{rows: tile("Rave pull"), queued: tile("Exposures"), dead: tile("Exposures"), urgent: tile("Exposures"),
		conflicts: tile("Checklists"), quarantined: tile("Rave pull"), audit: tile("Audit")}
	d.sites = newSiteTable(u)

	details := form(
		widget.NewLabel("Store file"), d.store,
		widget.NewLabel("Install ID"), d.install,
		widget.NewLabel("Schema"), d.schema,
		widget.NewLabel("Run ID"), d.run,
		widget.NewLabel("Audit entries"), d.entries,
		widget.NewLabel("Audit tip"), d.tip,
		widget.NewLabel("Configuration"), d.cf,
	)
	engines := []fyne.CanvasObject{widget.NewLabel("Rave pull"), d.pull, widget.NewLabel("Subjects"), d.subjects,
		widget.NewLabel("Checklists"), d.checklists, widget.NewLabel("Other engines"), d.others}
	refresh := widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), d.refresh)
	t := d.tiles
	content := container.NewVBox(
		container.NewGridWithColumns(4, t.rows, t.queued, t.dead, t.urgent, t.conflicts, t.quarantined, t.audit),
		heading("Audit trail"), d.audit.box,
		heading("Studies and sites"), d.sites.grid,
		heading("Remote systems"), d.remotes,
		heading("Activity"), d.chart,
		heading("Engines"), form(engines...),
		widget.NewAccordion(widget.NewAccordionItem("This computer's store and configuration", details)),
		d.errText, container.NewHBox(refresh),
	)
	u.state.subscribe(d.show)
	u.dashboard = d
	return container.NewVScroll(content), d.refresh
}

// show puts the snapshot on the dashboard.
func (d *dashboard) show(s snapshot) {
	now := time.Now()
	d.showGlance(s, now)
	d.showAudit(s, now)
	d.sites.show(s, now)
	d.showRemotes(s, now)
	d.chart.SetActivity(Activity(s.Figures.Activity))
	d.checklists.SetText(checklistsLine(s.Checklist, now))
	subjectsDashboardLine(s, now).paint(d.subjects)
	showLines(d.others, otherEngineLines(s, now))
	showLines(d.pull, s.pull().dashboardLines(now))
}

// showLines replaces box's labels with one wrapped label per line.
func showLines(box *fyne.Container, lines []pullLine) {
	box.RemoveAll()
	for _, l := range lines {
		label := wrapped()
		l.paint(label)
		box.Add(label)
	}
}

// paint puts line's text on l, red when it reports a failure.
func (line pullLine) paint(l *widget.Label) {
	l.Importance = widget.MediumImportance
	if line.failed {
		l.Importance = widget.DangerImportance
	}
	l.SetText(line.text)
}

func (d *dashboard) showGlance(s snapshot, now time.Time) {
	t, f := d.tiles, s.Figures.Totals
	var rows int64
	for _, st := range s.Figures.Studies {
		rows += st.PulledToday
	}
	setTile(t.rows, plural64(rows, "row pulled today", "rows pulled today"), calm)
	setTile(t.queued, plural(f.Queued, "message waiting to be sent", "messages waiting to be sent"), calm)
	setTile(t.dead, plural(f.Dead, "dead letter", "dead letters"), severity(f.Dead, red))
	setTile(t.urgent, plural(f.Urgent, "urgent failure", "urgent failures"), severity(f.Urgent, red))
	conflicts := max(f.Conflicts, s.Checklist.OpenConflicts) // the reconciliation's own count when no site has one
	setTile(t.conflicts, plural(conflicts, "conflict to decide", "conflicts to decide"), severity(conflicts, amber))
	setTile(t.quarantined, plural(f.Quarantined, "fragment to review", "fragments to review"), severity(f.Quarantined, amber))
	switch {
	case s.Audit.Problem != "":
		setTile(t.audit, "Audit trail: failed verification", red)
	case s.Audit.Verified.IsZero():
		setTile(t.audit, "Audit trail: not verified yet", calm)
	default:
		setTile(t.audit, "Audit trail intact ("+shortClock(s.Audit.Verified, now)+")", good)
	}
}

func (d *dashboard) showAudit(s snapshot, now time.Time) {
	a := s.Audit
	by := verifiedBy(a)
	next := ""
	if !a.NextVerify.IsZero() {
		next = " Next scheduled verification at " + shortClock(a.NextVerify, now) + "."
	} else if a.Verifying {
		next = " A scheduled verification is running."
	}
	switch {
	case a.Verified.IsZero():
		d.audit.set("Not verified yet. Verify it on the Audit screen."+next, a.ScheduleErr, a.ScheduleErr != "")
	case a.Problem != "":
		d.audit.set("Failed verification at "+shortClock(a.Verified, now)+" ("+by+"). Open the Audit screen to see the entry."+next,
			a.Problem, true)
	default:
		d.audit.set(fmt.Sprintf("Intact: %s entries verified at %s %s.%s", count(int(a.VerifiedEntries)),
			shortClock(a.Verified, now), by, next), a.ScheduleErr, false)
	}
}

func (d *dashboard) showRemotes(s snapshot, now time.Time) {
	d.remotes.RemoveAll()
	for _, rn := range remoteNames {
		r, ok := s.Remote(rn.name)
		icon := widget.NewIcon(theme.RadioButtonIcon())
		e := newExplained()
		switch {
		case !ok:
			e.set(rn.title+": not used by this version of trialsync yet.", "", false)
		case r.Status == agent.RemoteOffline || r.Status == agent.RemotePaused:
			icon.SetResource(theme.NewErrorThemedResource(theme.ErrorIcon()))
			e.set(rn.title+": "+string(r.Status)+" (since "+shortClock(r.Since, now)+"). "+plainFailure(rn.title, r.Err), r.Err, true)
		case r.Status == agent.RemoteOnline && r.Err != "":
			icon.SetResource(theme.NewWarningThemedResource(theme.WarningIcon()))
			e.set(rn.title+": online; the last request failed at "+shortClock(r.Since, now)+". "+plainFailure(rn.title, r.Err), r.Err, true)
		case r.Status == agent.RemoteOnline:
			icon.SetResource(theme.NewSuccessThemedResource(theme.ConfirmIcon()))
			e.set(rn.title+": online (answered at "+shortClock(r.Since, now)+").", "", false)
		default:
			e.set(rn.title+": "+string(r.Status)+".", r.Err, false)
		}
		d.remotes.Add(container.NewBorder(nil, nil, icon, nil, e.box))
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

// wrapped is a value label that wraps rather than truncates.
func wrapped() *widget.Label {
	l := field()
	l.Truncation, l.Wrapping = fyne.TextTruncateOff, fyne.TextWrapWord
	return l
}

// verifiedBy says who ran the last verification: "by the schedule", "by crc.jones".
func verifiedBy(a agent.AuditState) string {
	switch {
	case a.Scheduled:
		return "by the schedule"
	case a.VerifiedBy != "":
		return "by " + a.VerifiedBy
	}
	return "on request"
}

// configState is the configuration file and whether it loaded.
func configState(st agent.Status) string {
	if st.ConfigError != "" {
		return st.ConfigPath + " — " + st.ConfigError
	}
	return st.ConfigPath
}

// level is how a count reads: calm (nothing to say), good (green mark), amber (waits for a person,
// warning mark) or red (failed: a red button). Colour is never the only sign: the text says it too,
// and amber and green are marks beside theme-coloured text, which stays readable in light and dark.
type level int

const (
	calm level = iota
	good
	amber
	red
)

// marked sets b's look for lv.
func marked(b *widget.Button, lv level) {
	b.Importance, b.Icon = widget.MediumImportance, nil
	switch lv {
	case good:
		b.Icon = theme.NewSuccessThemedResource(theme.ConfirmIcon())
	case amber:
		b.Icon = theme.NewWarningThemedResource(theme.WarningIcon())
	case red:
		b.Importance, b.Icon = widget.DangerImportance, theme.ErrorIcon()
	}
}

// levelOf reads b's level back (tests and setTile use it).
func levelOf(b *widget.Button) level {
	if b.Importance == widget.DangerImportance {
		return red
	}
	if r, ok := b.Icon.(*theme.ThemedResource); ok {
		switch r.ColorName {
		case theme.ColorNameSuccess:
			return good
		case theme.ColorNameWarning:
			return amber
		}
	}
	return calm
}

func setTile(b *widget.Button, text string, lv level) {
	if b.Text == text && levelOf(b) == lv {
		return
	}
	b.Text = text
	marked(b, lv)
	b.Refresh()
}

// severity is lv when n > 0, else calm: a zero is good news, not a warning.
func severity(n int, lv level) level {
	if n > 0 {
		return lv
	}
	return calm
}

func plural(n int, one, many string) string { return plural64(int64(n), one, many) }

func plural64(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return count(int(n)) + " " + many
}

// ago is how long ago t was, in the largest whole unit: "3 days ago", "5 hours ago", "just now".
func ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d >= 48*time.Hour:
		return strconv.Itoa(int(d/(24*time.Hour))) + " days ago"
	case d >= 2*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " hours ago"
	case d >= 2*time.Minute:
		return strconv.Itoa(int(d/time.Minute)) + " minutes ago"
	}
	return "just now"
}
