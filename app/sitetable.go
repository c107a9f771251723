package app

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// siteColumns head the dashboard's table of studies and sites, with the screen each count opens.
var siteColumns = []struct{ title, screen string }{
	{"Study / site", ""}, {"Last pull", ""}, {"Rows today", "Rave pull"}, {"Waiting", "Exposures"},
	{"Dead letters", "Exposures"}, {"Urgent", "Exposures"}, {"Conflicts", "Checklists"}, {"Quarantined", "Rave pull"},
}

// siteTable is a row per study (its last pull, rows today, quarantined fragments) and under it a row
// per site (rows today, the outbound queue, conflicts). A count above zero is a button that opens the
// screen explaining it; a zero is plain text.
type siteTable struct {
	u    *UI
	grid *fyne.Container
	none *widget.Label
	rows int // rows on show, headers excluded
}

func newSiteTable(u *UI) *siteTable {
	t := &siteTable{u: u, grid: container.New(tableLayout{cols: len(siteColumns)})}
	t.none = widget.NewLabel("No study yet: configure the Rave pull (Settings, or the configuration file).")
	t.none.Wrapping = fyne.TextWrapWord
	return t
}

// siteRow is one row's texts; counts are -1 where the row has none (a study's queue, a site's last
// pull).
type siteRow struct {
	name     string
	study    bool
	last     string
	counts   [6]int64
	conflict string // the oldest conflict's age, for the conflicts cell
}

// show rebuilds the table from the snapshot's figures.
func (t *siteTable) show(s snapshot, now time.Time) {
	var rows []siteRow
	for _, st := range s.Figures.Studies {
		rows = append(rows, siteRow{name: st.Study, study: true, last: shortClock(st.LastPull, now),
			counts: [6]int64{st.PulledToday, -1, -1, -1, -1, int64(st.Quarantined)}})
		for _, site := range st.Sites {
			r := siteRow{name: "Site " + site.Site, counts: [6]int64{site.PulledToday, int64(site.Queued),
				int64(site.Dead), int64(site.Urgent), int64(site.Conflicts), -1}}
			if site.Conflicts > 0 && !site.OldestConflict.IsZero() {
				r.conflict = " (oldest " + ago(site.OldestConflict, now) + ")"
			}
			rows = append(rows, r)
		}
	}
	t.grid.RemoveAll()
	if len(rows) == 0 {
		t.grid.Layout = tableLayout{cols: 1}
		t.grid.Add(t.none)
		t.grid.Refresh()
		return
	}
	t.grid.Layout = tableLayout{cols: len(siteColumns)}
	for _, c := range siteColumns {
		t.grid.Add(heading(c.title))
	}
	for _, r := range rows {
		name := widget.NewLabel(r.name)
		if r.study {
			name.TextStyle = fyne.TextStyle{Bold: true}
		} else {
			name.SetText("    " + r.name)
		}
		t.grid.Add(name)
		if r.study {
			t.grid.Add(widget.NewLabel(r.last))
		} else {
			t.grid.Add(widget.NewLabel(""))
		}
		for i, n := range r.counts {
			col := siteColumns[i+2]
			text := ""
			if n >= 0 {
				text = count(int(n))
				if i == 4 {
					text += r.conflict
				}
			}
			t.grid.Add(t.cell(text, n, col.screen, i))
		}
	}
	t.rows = len(rows)
	t.grid.Refresh()
}

// cell is a count: a button opening screen when above zero (red for dead letters and urgent
// failures, amber for conflicts and fragments), plain text otherwise.
func (t *siteTable) cell(text string, n int64, screen string, col int) fyne.CanvasObject {
	if n <= 0 {
		l := widget.NewLabel(text)
		l.Truncation = fyne.TextTruncateEllipsis
		return l
	}
	b := widget.NewButton(text, func() { t.u.SelectScreen(screen) })
	b.Alignment = widget.ButtonAlignLeading
	switch col {
	case 2, 3:
		marked(b, red)
	case 4, 5:
		marked(b, amber)
	default:
		b.Importance = widget.LowImportance
	}
	return b
}
