package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/trialsync/trialsync/sync/agent"
	"github.com/trialsync/trialsync/sync/checklist"
)

// checklistsPurpose opens the screen: what reconciliation does.
const checklistsPurpose = "Site-activation checklists kept in the EDC and the CTMS are compared field by field with " +
	"what both last agreed on. The system that owns a field wins when only one side changed it; a field both " +
	"changed differently waits here for you, with both values and the agreed one side by side."

// checklistAllSites is the site filter's first choice.
const checklistAllSites = "All sites"

// The tabs of the screen, in order.
const (
	checklistTabConflicts = iota
	checklistTabInFlight
	checklistTabGaps
	checklistTabUnmapped
	checklistTabInSync
)

// checklistsScreen shows the study's items grouped by outcome, with a site filter; a conflict chosen
// in its list is shown field by field (EDC, CTMS, agreed) with a choice per conflicting field and a
// reason, and settled with Settle. Gaps and unmapped items show their raw records. Its fields belong
// to the Fyne goroutine.
type checklistsScreen struct {
	u     *UI
	ov    agent.ChecklistOverview
	site  string // the filter; "" for every site
	loads int
	seen  string // the service state the overview was last loaded for

	busy       *widget.Activity
	status     *widget.Label
	problem    *widget.Label
	stopped    *widget.Label
	offline    *widget.Label
	notice     *widget.Label
	reconcile  *widget.Button
	sites      *widget.Select
	tabs       *container.AppTabs
	lists      [5]*widget.List
	detail     [5]*widget.Label // the raw records or the writes of the item chosen in each list
	conflict   *conflictForm
	emptyFirst *widget.Label
}

func newChecklists(u *UI) (fyne.CanvasObject, func()) {
	s := &checklistsScreen{u: u, busy: widget.NewActivity(), status: widget.NewLabel(""), problem: errorLabel(),
		stopped: errorLabel(), offline: errorLabel(), notice: widget.NewLabel("")}
	s.busy.Hide()
	s.notice.Wrapping = fyne.TextWrapWord
	s.notice.Hide()
	purpose := widget.NewLabel(checklistsPurpose)
	purpose.Wrapping = fyne.TextWrapWord
	s.reconcile = widget.NewButtonWithIcon("Reconcile now", theme.ViewRefreshIcon(), func() {
		s.u.bridge.background(func(context.Context) func() { s.u.backend.Kick(agent.EngineChecklist); return nil })
	})
	s.sites = widget.NewSelect([]string{checklistAllSites}, func(choice string) {
		site := choice
		if choice == checklistAllSites {
			site = ""
		}
		if site != s.site {
			s.site = site
			s.load()
		}
	})
	s.sites.SetSelected(checklistAllSites)
	s.conflict = newConflictForm(s.settle)
	for i := range s.lists {
		s.detail[i] = widget.NewLabel("")
		s.detail[i].Wrapping = fyne.TextWrapWord
		s.detail[i].Selectable = true
		s.lists[i] = s.newList(i)
	}
	s.emptyFirst = widget.NewLabel("No conflict waits for you.")
	s.tabs = container.NewAppTabs(
		container.NewTabItem("Conflicts", container.NewHSplit(container.NewStack(s.lists[checklistTabConflicts], container.NewVBox(s.emptyFirst)),
			container.NewVScroll(s.conflict.box))),
		s.tab("Writes on their way", checklistTabInFlight),
		s.tab("Gaps", checklistTabGaps),
		s.tab("Unmapped", checklistTabUnmapped),
		s.tab("In sync", checklistTabInSync))
	head := container.NewVBox(
		container.NewHBox(s.reconcile, widget.NewLabel("Site:"), s.sites, s.busy, s.status),
		purpose, s.stopped, s.offline, s.problem, s.notice)
	u.state.subscribe(s.show)
	shown := func() {
		u.state.reload()
		s.load()
	}
	v := &checklistsView{screen: s, content: container.NewBorder(head, nil, nil, nil, s.tabs)}
	v.ExtendBaseWidget(v)
	return v, shown
}

// checklistsView is the screen's content, with the screen behind it (tests reach it there).
type checklistsView struct {
	widget.BaseWidget
	screen  *checklistsScreen
	content fyne.CanvasObject
}

// CreateRenderer shows the content.
func (v *checklistsView) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(v.content)
}

// tab is a list with the chosen item's details beside it.
func (s *checklistsScreen) tab(name string, i int) *container.TabItem {
	split := container.NewHSplit(s.lists[i], container.NewVScroll(s.detail[i]))
	split.Offset = 0.45
	return container.NewTabItem(name, split)
}

// rows is the number of items in tab i.
func (s *checklistsScreen) rows(i int) int {
	switch i {
	case checklistTabConflicts:
		return len(s.ov.Conflicts)
	case checklistTabInFlight:
		return len(s.ov.InFlight)
	case checklistTabGaps:
		return len(s.ov.Gaps)
	case checklistTabUnmapped:
		return len(s.ov.Unmapped)
	}
	return len(s.ov.InSync)
}

// rowText is one line of tab i's list.
func (s *checklistsScreen) rowText(i, row int) string {
	switch i {
	case checklistTabConflicts:
		c := s.ov.Conflicts[row]
		var fields []string
		for _, f := range c.Fields {
			fields = append(fields, f.Field.String())
		}
		return fmt.Sprintf("%s · %s · waiting %s", c.Key, strings.Join(fields, ", "), checklist.AgeText(c.Age(time.Now())))
	case checklistTabInFlight:
		p := s.ov.InFlight[row]
		return fmt.Sprintf("%s · %s", p.Key, checklistOutcomeWords(p.Outcome))
	case checklistTabGaps:
		g := s.ov.Gaps[row]
		return fmt.Sprintf("%s · missing in the %s", g.Key, g.Missing.Label())
	case checklistTabUnmapped:
		m := s.ov.Unmapped[row]
		reason := ""
		if len(m.Defects) > 0 {
			reason = m.Defects[0].Reason
		}
		return fmt.Sprintf("%s · %s", m.Key, reason)
	}
	return s.ov.InSync[row].String()
}

func (s *checklistsScreen) newList(i int) *widget.List {
	l := widget.NewList(func() int { return s.rows(i) },
		func() fyne.CanvasObject {
			t := widget.NewLabel("")
			t.Truncation = fyne.TextTruncateEllipsis
			return t
		},
		func(row widget.ListItemID, o fyne.CanvasObject) {
			if row < s.rows(i) {
				o.(*widget.Label).SetText(s.rowText(i, row))
			}
		})
	l.OnSelected = func(row widget.ListItemID) {
		if row >= s.rows(i) {
			return
		}
		switch i {
		case checklistTabConflicts:
			s.conflict.show(s.ov.Conflicts[row])
		case checklistTabInFlight:
			s.detail[i].SetText(checklistInFlightText(s.ov.InFlight[row]))
		case checklistTabGaps:
			s.detail[i].SetText(checklistFoundText(s.ov.Gaps[row]))
		case checklistTabUnmapped:
			s.detail[i].SetText(checklistFoundText(s.ov.Unmapped[row]))
		default:
			s.detail[i].SetText(s.ov.InSync[row].String() + ": both systems agree on every field.")
		}
	}
	return l
}

// checklistService is the reconciliation service in snap, if it runs.
func checklistService(snap snapshot) (agent.ServiceState, bool) {
	for _, st := range snap.ServicesOf(agent.EngineChecklist) {
		return st, true
	}
	return agent.ServiceState{}, false
}

// show puts the service's state and the last run on screen, and reloads the items when a run ended.
func (s *checklistsScreen) show(snap snapshot) {
	st, ok := checklistService(snap)
	spin(s.busy, ok && st.Running)
	setEnabled(s.reconcile, ok)
	switch {
	case !ok && snap.Problem != "":
		s.stopped.SetText("Checklists are not being reconciled: " + sentence(snap.Problem))
		s.stopped.Show()
	case ok && st.Stopped:
		s.stopped.SetText("Reconciliation has stopped: " + stopText(st))
		s.stopped.Show()
	default:
		s.stopped.Hide()
	}
	if ok && st.Offline {
		s.offline.SetText("A checklist system cannot be reached; reconciliation resumes as soon as it answers. (" + oneLine(st.Err) + ")")
		s.offline.Show()
	} else {
		s.offline.Hide()
	}
	cs := snap.Checklist
	switch {
	case !cs.LastRun.IsZero():
		s.status.SetText(fmt.Sprintf("Last run %s: %s", cs.LastRun.Local().Format("15:04"), checklistCountsWords(cs.Last)))
	case cs.OpenConflicts > 0:
		s.status.SetText(howMany(cs.OpenConflicts, "conflict waits", "conflicts wait") + " for you")
	default:
		s.status.SetText("")
	}
	key := fmt.Sprint(st.Runs, st.Running, cs.OpenConflicts, cs.LastRun)
	if key != s.seen {
		s.seen = key
		s.load()
	}
}

// load reads the items of the chosen site and shows them.
func (s *checklistsScreen) load() {
	site := s.site
	s.u.bridge.latest(&s.loads, func(ctx context.Context) func() {
		ov, err := s.u.backend.Checklists(ctx, site)
		return func() {
			showError(s.problem, "Could not read the checklists", err)
			if err == nil {
				s.list(ov)
			}
		}
	})
}

// list shows an overview: the site filter's choices, each tab's count, each list.
func (s *checklistsScreen) list(ov agent.ChecklistOverview) {
	s.ov = ov
	if opts := append([]string{checklistAllSites}, ov.Sites...); !slices.Equal(opts, s.sites.Options) {
		s.sites.Options = opts
		s.sites.Refresh()
	}
	names := [5]string{"Conflicts", "Writes on their way", "Gaps", "Unmapped", "In sync"}
	for i := range s.lists {
		s.tabs.Items[i].Text = fmt.Sprintf("%s (%s)", names[i], count(s.rows(i)))
		s.lists[i].UnselectAll()
		s.lists[i].Refresh()
		s.detail[i].SetText("Choose an item to see its details.")
	}
	s.tabs.Refresh()
	setVisible(s.emptyFirst, len(ov.Conflicts) == 0)
	s.conflict.clear()
}

// settle sends a person's choice for the conflict on show.
func (s *checklistsScreen) settle(c agent.ChecklistConflict, take map[agent.ChecklistField]agent.ChecklistSystem, reason string) {
	s.conflict.settling(true)
	s.u.bridge.background(func(ctx context.Context) func() {
		err := s.u.backend.SettleConflict(ctx, c.ID, take, reason)
		return func() {
			s.conflict.settling(false)
			if err != nil {
				s.conflict.fail(err)
				return
			}
			s.notice.SetText(fmt.Sprintf("Conflict %s on %s settled; its writes are on their way.", c.ID, c.Key))
			s.notice.Show()
			s.load()
		}
	})
}

// outcomeWords says an outcome for people.
func checklistOutcomeWords(o checklist.Outcome) string {
	switch o {
	case checklist.OutcomeWriteCTMS:
		return "writing to the CTMS"
	case checklist.OutcomeWriteEDC:
		return "writing to the EDC"
	case checklist.OutcomeWriteBoth:
		return "writing to both systems"
	}
	return string(o)
}

// countsWords is a run's counts for the header.
func checklistCountsWords(c agent.ChecklistCounts) string {
	return fmt.Sprintf("%s items, %s in sync, %s written, %s in conflict, %s gaps, %s unmapped", count(c.Items), count(c.InSync),
		count(c.WriteCTMS+c.WriteEDC+c.WriteBoth), count(c.Conflict), count(c.Gap), count(c.Unmapped))
}

// inFlightText explains an item whose writes are on their way.
func checklistInFlightText(p checklist.InFlight) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s, decided %s.\n", p.Key, checklistOutcomeWords(p.Outcome), p.Planned.Local().Format("2006-01-02 15:04"))
	for _, w := range p.Writes {
		var fields []string
		for _, f := range w.Fields {
			fields = append(fields, f.String())
		}
		fmt.Fprintf(&b, "To the %s (%s): %s", w.System.Label(), strings.Join(fields, ", "), w.State)
		if w.Why != "" {
			b.WriteString(": " + w.Why)
		}
		fmt.Fprintf(&b, " (outbound message %d)\n", w.Message)
		if why, ok := p.Stuck[w.Message]; ok {
			fmt.Fprintf(&b, "  It will not be sent without you: %s. Retry or discard it (trialsync queue retry %d, queue discard %d).\n",
				strings.TrimSuffix(why, "."), w.Message, w.Message)
		}
	}
	b.WriteString("The agreed values move once every write is acknowledged.")
	return b.String()
}

// foundText explains a gap or an unmapped item, with the raw records as received.
func checklistFoundText(f checklist.Found) string {
	var b strings.Builder
	if f.Outcome == checklist.OutcomeGap {
		fmt.Fprintf(&b, "%s is missing in the %s (found %s). The other system's record, as received:\n\n%s\n",
			f.Key, f.Missing.Label(), f.Since.Local().Format("2006-01-02 15:04"), f.Raw)
		return b.String()
	}
	fmt.Fprintf(&b, "%s cannot be reconciled (found %s). Correct the record in its system; nothing is guessed.\n",
		f.Key, f.Since.Local().Format("2006-01-02 15:04"))
	for _, d := range f.Defects {
		fmt.Fprintf(&b, "\n%s record: %s\n%s\n", d.System.Label(), d.Reason, d.Raw)
	}
	return b.String()
}

// checklistsLine is the dashboard's line: open conflicts and how long the oldest has waited.
func checklistsLine(cs agent.ChecklistState, now time.Time) string {
	if cs.OpenConflicts == 0 {
		if cs.LastRun.IsZero() {
			return "No conflict waits."
		}
		return "No conflict waits; last run " + cs.LastRun.Local().Format("15:04") + "."
	}
	return fmt.Sprintf("%s for you, the oldest for %s.", howMany(cs.OpenConflicts, "conflict waits", "conflicts wait"), checklist.AgeText(now.Sub(cs.OldestOpened)))
}
