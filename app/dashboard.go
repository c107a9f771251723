package app

import (
	"strconv"

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
}

func newDashboard(u *UI) (fyne.CanvasObject, func()) {
	d := &dashboard{u: u, store: field(), install: field(), schema: field(), entries: field(), tip: field(),
		run: field(), cf: field(), errText: errorLabel()}
	engines := form()
	for _, e := range []struct {
		name string
		p    plan
	}{
		{"Rave pull", ravePullPlan()},
		{"Exposures", exposuresPlan()},
		{"Subjects", subjectsPlan()},
		{"Checklists", checklistsPlan()},
	} {
		engines.Add(widget.NewLabel(e.name))
		engines.Add(widget.NewLabel(e.p.arrives()))
	}
	refresh := widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), d.refresh)
	content := container.NewVBox(
		heading("Store"),
		form(
			widget.NewLabel("File"), d.store,
			widget.NewLabel("Install ID"), d.install,
			widget.NewLabel("Schema"), d.schema,
			widget.NewLabel("Run ID"), d.run,
		),
		heading("Audit trail"),
		form(
			widget.NewLabel("Entries"), d.entries,
			widget.NewLabel("Tip"), d.tip,
		),
		heading("Configuration"),
		form(widget.NewLabel("File"), d.cf),
		heading("Engines"),
		engines,
		d.errText,
		container.NewHBox(refresh),
	)
	return container.NewVScroll(content), d.refresh
}

func (d *dashboard) refresh() {
	d.u.loadStatus(func(st Status, err error) {
		showError(d.errText, "Could not read the store", err)
		d.store.SetText(st.StorePath)
		d.install.SetText(st.InstallID)
		d.schema.SetText(strconv.Itoa(st.Schema))
		d.run.SetText(st.RunID)
		d.entries.SetText(strconv.FormatUint(st.AuditCount, 10) + " (covered by the keyed checkpoint)")
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
