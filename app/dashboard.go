package app

import (
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// dashboard is the first screen: the store, the audit trail's checkpoint, the configuration, and
// where each engine stands.
type dashboard struct {
	u                                             *UI
	store, install, schema, entries, tip, run, cf *widget.Label
	errText                                       *widget.Label
	pull                                          *fyne.Container // a line per study
}

func newDashboard(u *UI) (fyne.CanvasObject, func()) {
	d := &dashboard{u: u, store: field(), install: field(), schema: field(), entries: field(), tip: field(),
		run: field(), cf: field(), errText: errorLabel(), pull: container.NewVBox()}
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
		widget.NewLabel("Tip"), d.tip)
	rows = append(rows, section("Configuration")...)
	rows = append(rows, widget.NewLabel("File"), d.cf)
	rows = append(rows, section("Engines")...)
	rows = append(rows, widget.NewLabel("Rave pull"), d.pull)
	for _, e := range []struct {
		name string
		p    plan
	}{
		{"Exposures", exposuresPlan()},
		{"Subjects", subjectsPlan()},
		{"Checklists", checklistsPlan()},
	} {
		rows = append(rows, widget.NewLabel(e.name), widget.NewLabel(e.p.arrives()))
	}
	refresh := widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), d.refresh)
	content := container.NewVBox(form(rows...), d.errText, container.NewHBox(refresh))
	u.pulls.subscribe(d.showPull)
	return container.NewVScroll(content), d.refresh
}

// showPull puts the Rave pull's state on the engine's line, failures in red.
func (d *dashboard) showPull(st PullStatus) {
	d.pull.RemoveAll()
	for _, l := range st.dashboardLines(time.Now()) {
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
	d.u.pulls.reload()
	d.u.loadStatus(func(st Status, err error) {
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
func configState(st Status) string {
	if st.ConfigError != "" {
		return st.ConfigPath + " — " + st.ConfigError
	}
	return st.ConfigPath
}
