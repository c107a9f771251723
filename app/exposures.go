package app

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/trialsync/trialsync/sync/agent"
	"github.com/trialsync/trialsync/sync/exposure"
	"github.com/trialsync/trialsync/sync/outbox"
)

// exposuresPurpose opens the screen: what the exposure queue does.
const exposuresPurpose = "Daily dose (exposure) log lines from SureAdhere go to Rave, one per subject, drug and " +
	"start date, through a queue that keeps them safe while Rave cannot be reached. Records Rave refuses stay " +
	"here, with Rave's reason and what to do, until you retry or discard them."

// queueColumns are the columns of the queue list, with their widths.
var queueColumns = []column{
	{"ID", 60}, {"State", 130}, {"Subject", 100}, {"Drug", 110}, {"Start date", 110}, {"Attempts", 80},
	{"Updated", 150}, {"What", 520},
}

const noMessage = "Select a record to see what became of it."

// exposuresScreen shows the exposure queue by state (urgent refusals on top, in red), a dead record's
// reason and advice with Retry and Discard…, a form to enter or correct a dose record, and Import a
// file…. Its fields belong to the Fyne goroutine.
type exposuresScreen struct {
	u        *UI
	send     agent.ServiceState // the exposure send service; Name "" when it does not run
	msgs     []outbox.Listed    // exposure messages, in screen order
	selected uint64
	loads    int
	seen     string // the queue figures and runs the list was last loaded for

	busy     *widget.Activity
	status   *widget.Label
	offline  *widget.Label
	stopped  *widget.Label
	problem  *widget.Label
	rejected *widget.Label // the last import's rejected records
	done     *widget.Label
	urgent   *fyne.Container
	empty    *widget.Label
	table    *widget.Table
	detail   *widget.Label
	retry    *widget.Button
	discard  *widget.Button
	correct  *widget.Button
	sendNow  *widget.Button
	importer *widget.Button
	tabs     *container.AppTabs
	form     *doseForm

	// The open Discard dialog and its reason entry (tests drive them).
	dialog *dialog.FormDialog
	reason *widget.Entry
}

func newExposures(u *UI) (fyne.CanvasObject, func()) {
	s := &exposuresScreen{u: u, busy: widget.NewActivity(), status: widget.NewLabel(""), offline: errorLabel(),
		stopped: errorLabel(), problem: errorLabel(), rejected: errorLabel(), done: widget.NewLabel(""), urgent: container.NewVBox(),
		detail: widget.NewLabel(noMessage)}
	s.busy.Hide()
	s.done.Hide()
	s.done.Wrapping = fyne.TextWrapWord
	s.empty = widget.NewLabel("No dose records are queued. Enter one below, or import a file.")
	s.empty.Wrapping = fyne.TextWrapWord
	s.detail.Wrapping = fyne.TextWrapWord
	s.detail.Selectable = true
	purpose := widget.NewLabel(exposuresPurpose)
	purpose.Wrapping = fyne.TextWrapWord

	s.sendNow = widget.NewButtonWithIcon("Send now", theme.MailSendIcon(), func() {
		s.u.bridge.background(func(context.Context) func() { s.u.backend.Kick(agent.EngineSend); return nil })
	})
	s.importer = widget.NewButtonWithIcon("Import a file…", theme.FolderOpenIcon(), s.chooseFile)
	s.retry = widget.NewButtonWithIcon("Retry", theme.ViewRefreshIcon(), func() { s.retryMessage(s.selected) })
	s.discard = widget.NewButtonWithIcon("Discard…", theme.DeleteIcon(), func() { s.askReason(s.selected) })
	s.correct = widget.NewButtonWithIcon("Correct…", theme.DocumentCreateIcon(), s.correctSelected)
	for _, b := range []*widget.Button{s.retry, s.discard, s.correct} {
		b.Disable()
	}

	s.table = s.newTable()
	s.table.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(s.msgs) {
			s.choose(s.msgs[id.Row])
		}
	}
	detail := container.NewBorder(container.NewHBox(s.retry, s.discard, s.correct), nil, nil, nil, container.NewVScroll(s.detail))
	split := container.NewVSplit(container.NewStack(s.table, container.NewVBox(s.empty)), detail)
	split.Offset = 0.6
	head := container.NewVBox(
		container.NewHBox(s.sendNow, s.importer, s.busy, s.status),
		purpose, s.offline, s.stopped, s.problem, s.done, s.rejected, s.urgent)
	queue := container.NewBorder(head, nil, nil, nil, split)

	s.form = newDoseForm(s.enter)
	s.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Queue", theme.ListIcon(), queue),
		container.NewTabItemWithIcon("Enter or correct a dose", theme.DocumentCreateIcon(), container.NewVScroll(s.form.box)))
	u.state.subscribe(s.show)
	shown := func() {
		u.state.reload()
		s.load()
	}
	v := &exposuresView{screen: s, tabs: s.tabs}
	v.ExtendBaseWidget(v)
	return v, shown
}

// exposuresView is the screen's content: its tabs, with the screen behind them (tests reach it there).
type exposuresView struct {
	widget.BaseWidget
	screen *exposuresScreen
	tabs   *container.AppTabs
}

// CreateRenderer shows the tabs.
func (v *exposuresView) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(v.tabs) }

// exposureService is the send service of exposure messages in snap, if it runs.
func exposureService(snap snapshot) (agent.ServiceState, bool) {
	for _, st := range snap.ServicesOf(agent.EngineSend) {
		if st.Subject == outbox.KindExposure {
			return st, true
		}
	}
	return agent.ServiceState{}, false
}

// figures returns a service's queue figures by name.
func queueFigures(st agent.ServiceState) map[string]int {
	m := map[string]int{}
	for _, f := range st.Queue {
		m[f.Name] = f.Value
	}
	return m
}

// show puts the send service's state on screen, and reloads the list when the queue moved.
func (s *exposuresScreen) show(snap snapshot) {
	st, ok := exposureService(snap)
	s.send = st
	spin(s.busy, st.Running || queueFigures(st)["sending"] > 0)
	switch {
	case !ok && snap.Problem != "":
		s.stopped.SetText("Dose records are not being sent: " + sentence(snap.Problem) + " Fix this, then reopen trialsync.")
		s.stopped.Show()
	case ok && st.Stopped:
		s.stopped.SetText("Sending has stopped: " + stopText(st))
		s.stopped.Show()
	default:
		s.stopped.Hide()
	}
	if ok && st.Offline {
		f := queueFigures(st)
		s.offline.SetText(fmt.Sprintf("Rave cannot be reached, so %s waiting. Nothing is lost: waiting records are sent as soon as Rave answers, and no attempt is spent meanwhile. (%s)",
			howMany(f["held"]+f["pending"], "dose record is", "dose records are"), oneLine(st.Err)))
		s.offline.Show()
	} else {
		s.offline.Hide()
	}
	setEnabled(s.sendNow, ok)
	key := fmt.Sprint(st.Runs, st.Running, st.Queue)
	if key != s.seen {
		s.seen = key
		s.load()
	}
}

// load reads the exposure messages and shows them, keeping the selection.
func (s *exposuresScreen) load() {
	s.u.bridge.latest(&s.loads, func(ctx context.Context) func() {
		msgs, err := s.u.backend.Messages(ctx, outbox.Filter{Kinds: []string{outbox.KindExposure}})
		return func() {
			showError(s.problem, "Could not read the queue", err)
			if err == nil {
				s.list(msgs)
			}
		}
	})
}

// rank orders the list: urgent refusals first, then the other dead records, held, sending, pending,
// and the delivered ones last, newest first.
func queueRank(m outbox.Listed) int {
	switch {
	case m.State == outbox.Dead && m.Urgent && !m.Discarded:
		return 0
	case m.State == outbox.Dead && !m.Discarded:
		return 1
	case m.State == outbox.Held:
		return 2
	case m.State == outbox.Sending:
		return 3
	case m.State == outbox.Pending:
		return 4
	}
	return 5
}

func (s *exposuresScreen) list(msgs []outbox.Listed) {
	slices.SortStableFunc(msgs, func(a, b outbox.Listed) int {
		if ra, rb := queueRank(a), queueRank(b); ra != rb {
			return ra - rb
		}
		if queueRank(a) == 5 {
			return int(b.ID) - int(a.ID)
		}
		return int(a.ID) - int(b.ID)
	})
	s.msgs = msgs
	s.showCounts()
	s.showUrgent()
	setVisible(s.empty, len(msgs) == 0)
	keep := s.selected
	s.clearSelection()
	s.table.UnselectAll()
	s.table.Refresh()
	for i, m := range msgs {
		if m.ID == keep {
			s.table.Select(widget.TableCellID{Row: i, Col: 0})
		}
	}
}

// showCounts writes the queue by state on one line.
func (s *exposuresScreen) showCounts() {
	n := map[outbox.State]int{}
	for _, m := range s.msgs {
		if !m.Discarded {
			n[m.State]++
		}
	}
	var parts []string
	for _, st := range []outbox.State{outbox.Dead, outbox.Held, outbox.Sending, outbox.Pending, outbox.Done} {
		if n[st] > 0 {
			parts = append(parts, count(n[st])+" "+string(st))
		}
	}
	if len(parts) == 0 {
		s.status.SetText("")
		return
	}
	s.status.SetText(strings.Join(parts, " · "))
}

// showUrgent puts a red line, with Retry and Discard…, above the list for each urgent refusal: a dose
// Rave refused because the drug may not be the patient's.
func (s *exposuresScreen) showUrgent() {
	s.urgent.RemoveAll()
	for _, m := range s.msgs {
		if queueRank(m) != 0 {
			continue
		}
		l := errorLabel()
		l.TextStyle = fyne.TextStyle{Bold: true}
		l.SetText("URGENT: " + describeRecord(m) + ". " + strings.TrimPrefix(m.Advice, "Urgent: "))
		l.Show()
		id := m.ID
		retry := widget.NewButtonWithIcon("Retry", theme.ViewRefreshIcon(), func() { s.retryMessage(id) })
		discard := widget.NewButtonWithIcon("Discard…", theme.DeleteIcon(), func() { s.askReason(id) })
		s.urgent.Add(container.NewBorder(nil, nil, nil, container.NewHBox(retry, discard), l))
	}
	s.urgent.Refresh()
}

// line decodes the log line a message carries.
func logLineOf(m outbox.Listed) (exposure.LogLine, bool) {
	var l exposure.LogLine
	return l, m.Decode(&l) == nil
}

// describeLine names a message's record for people: "103-004, Rifapentine, 2025-03-05".
func describeRecord(m outbox.Listed) string {
	l, ok := logLineOf(m)
	if !ok {
		return "record " + m.Key
	}
	return l.Key.Subject + ", " + l.Drug + ", " + l.Key.StartDate
}

func queueStateText(m outbox.Listed) string {
	switch {
	case m.Discarded:
		return "discarded"
	case m.State == outbox.Dead && m.Urgent:
		return "dead, URGENT"
	case m.BlockedBy != 0:
		return "waiting"
	}
	return string(m.State)
}

// whatText is the list's last column: what happened to the record, in a few words.
func queueWhatText(m outbox.Listed) string {
	switch {
	case m.Discarded:
		return "discarded by " + m.DiscardedBy + ": " + m.DiscardReason
	case m.BlockedBy != 0:
		return fmt.Sprintf("waits behind dead record %d of the same log line", m.BlockedBy)
	case m.State == outbox.Held:
		return "Rave cannot be reached; sent when it answers"
	case m.State == outbox.Done && m.Note != "":
		return "delivered; check: " + m.Note
	case m.State == outbox.Done:
		return "delivered, Rave reference " + m.Reference
	case m.State == outbox.Dead && m.ReasonCode != "":
		return m.ReasonCode + ": " + m.Error
	}
	return m.Error
}

func queueCell(m outbox.Listed, col int) string {
	l, _ := logLineOf(m)
	switch col {
	case 0:
		return strconv.FormatUint(m.ID, 10)
	case 1:
		return queueStateText(m)
	case 2:
		return l.Key.Subject
	case 3:
		return l.Drug
	case 4:
		return l.Key.StartDate
	case 5:
		return strconv.Itoa(m.Attempts)
	case 6:
		return m.Updated.Local().Format("2006-01-02 15:04:05")
	case 7:
		return oneLine(queueWhatText(m))
	}
	return ""
}

// newTable is the queue list: a text table whose dead rows are red.
func (s *exposuresScreen) newTable() *widget.Table {
	t := newTextTable(queueColumns, func() int { return len(s.msgs) }, func(row, col int) string {
		return queueCell(s.msgs[row], col)
	})
	t.UpdateCell = func(id widget.TableCellID, o fyne.CanvasObject) {
		l := o.(*widget.Label)
		if id.Row >= len(s.msgs) {
			return
		}
		m := s.msgs[id.Row]
		l.Importance = widget.MediumImportance
		if queueRank(m) <= 1 {
			l.Importance = widget.DangerImportance
		}
		l.SetText(queueCell(m, id.Col))
	}
	return t
}

func (s *exposuresScreen) choose(m outbox.Listed) {
	s.selected = m.ID
	s.detail.SetText(queueDetailText(m))
	setEnabled(s.retry, m.State == outbox.Dead && !m.Discarded)
	setEnabled(s.discard, m.State != outbox.Done && !m.Discarded)
	if _, ok := logLineOf(m); ok {
		s.correct.Enable()
	}
}

func (s *exposuresScreen) clearSelection() {
	s.selected = 0
	s.detail.SetText(noMessage)
	s.retry.Disable()
	s.discard.Disable()
	s.correct.Disable()
}

// detailText explains one record in a coordinator's words: for a dead one Rave's reason code, where
// Rave found the problem, what it said, and whom to contact.
func queueDetailText(m outbox.Listed) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Record %d: %s.\n", m.ID, describeRecord(m))
	switch {
	case m.Discarded:
		fmt.Fprintf(&b, "Discarded by %s: %s\n", m.DiscardedBy, m.DiscardReason)
	case m.State == outbox.Dead:
		fmt.Fprintf(&b, "Not delivered after %s.\n", howMany(m.Attempts, "attempt", "attempts"))
		if m.ReasonCode != "" {
			fmt.Fprintf(&b, "Rave's reason code: %s\n", m.ReasonCode)
		}
		if m.Origin != "" {
			fmt.Fprintf(&b, "Where Rave found the problem (ErrorOriginLocation): %s\n", m.Origin)
		}
		if m.Error != "" {
			fmt.Fprintf(&b, "What went wrong: %s\n", m.Error)
		}
		if m.Advice != "" {
			fmt.Fprintf(&b, "What to do: %s\n", m.Advice)
		}
		b.WriteString("Later changes of this log line wait until you retry or discard this record.\n")
	case m.BlockedBy != 0:
		fmt.Fprintf(&b, "Waiting behind record %d of the same log line, which Rave refused: retry or discard that one first.\n", m.BlockedBy)
	case m.State == outbox.Held:
		b.WriteString("Rave cannot be reached. The record is sent as soon as it answers; no attempt is spent meanwhile.\n")
	case m.State == outbox.Pending && m.Attempts > 0:
		fmt.Fprintf(&b, "Attempt %d failed (%s); it is tried again at %s.\n", m.Attempts, m.Error, m.NextAttempt.Local().Format("15:04:05"))
	case m.State == outbox.Pending:
		b.WriteString("Waiting to be sent.\n")
	case m.State == outbox.Sending:
		fmt.Fprintf(&b, "Being sent now (attempt %d).\n", m.Attempts)
	case m.State == outbox.Done:
		fmt.Fprintf(&b, "Delivered to Rave (reference %s).\n", m.Reference)
		if m.Note != "" {
			fmt.Fprintf(&b, "Please check: %s.\n", m.Note)
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func howMany(n int, one, many string) string { // "1 attempt", "3 attempts"
	if n == 1 {
		return "1 " + one
	}
	return count(n) + " " + many
}

// retryMessage re-queues a dead record.
func (s *exposuresScreen) retryMessage(id uint64) {
	if id == 0 {
		return
	}
	s.u.act(s.done, s.problem, fmt.Sprintf("Record %d was not retried", id), func(ctx context.Context) (string, error) {
		_, err := s.u.backend.RetryMessage(ctx, id)
		return fmt.Sprintf("Record %d is queued again.", id), err
	}, s.load)
}

// askReason opens the Discard dialog for record id. Its Discard button stays disabled until the reason
// has some text; Cancel changes nothing.
func (s *exposuresScreen) askReason(id uint64) {
	if id == 0 {
		return
	}
	s.reason, s.dialog = askReason(s.u.win, reasonRequest{
		title: fmt.Sprintf("Discard record %d", id), confirm: "Discard",
		placeholder: "e.g. entered in Rave by hand",
		hint:        "The record is not sent. Recorded in the audit trail with your user name.",
		done: func(ok bool, reason string) {
			s.dialog, s.reason = nil, nil
			if ok {
				s.discardMessage(id, reason)
			}
		},
	})
}

// discardMessage ends record id unsent with the person's reason; a blank one is refused here too.
func (s *exposuresScreen) discardMessage(id uint64, reason string) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		showError(s.problem, fmt.Sprintf("Record %d was not discarded", id), errNoReason)
		return
	}
	s.u.act(s.done, s.problem, fmt.Sprintf("Record %d was not discarded", id), func(ctx context.Context) (string, error) {
		_, err := s.u.backend.DiscardMessage(ctx, id, reason)
		return fmt.Sprintf("Record %d discarded.", id), err
	}, s.load)
}

func (s *exposuresScreen) confirm(text string) {
	s.done.SetText(text)
	s.done.Show()
}

// chooseFile opens the file dialog for a CSV or JSON Lines file of dose records.
func (s *exposuresScreen) chooseFile() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			showError(s.problem, "Could not open the file", err)
			return
		}
		if r == nil {
			return // cancelled
		}
		path := r.URI().Path()
		_ = r.Close()
		s.importFile(path)
	}, s.u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".csv", ".jsonl", ".ndjson", ".json", ".txt"}))
	d.Show()
}

// maxShownRejections bounds the rejected records listed on screen after an import.
const maxShownRejections = 10

// importFile queues a file's valid records and says how many were imported and rejected, with the
// first rejected lines and their reasons.
func (s *exposuresScreen) importFile(path string) {
	s.done.Hide()
	s.rejected.Hide()
	s.u.bridge.background(func(ctx context.Context) func() {
		var rejected []string
		res, err := s.u.backend.ImportExposures(ctx, path, func(e exposure.Entry) {
			if len(rejected) < maxShownRejections {
				rejected = append(rejected, e.Rejection(path))
			}
		})
		return func() {
			text := fmt.Sprintf("%s: imported %d, rejected %d.", path, res.Imported, res.Rejected)
			if err != nil {
				showError(s.problem, "The import stopped", err)
			} else if res.Rejected > 0 {
				more := ""
				if res.Rejected > len(rejected) {
					more = fmt.Sprintf(" (and %d more)", res.Rejected-len(rejected))
				}
				s.rejected.SetText("Rejected, fix and import again" + more + ":\n" + strings.Join(rejected, "\n"))
				s.rejected.Show()
			}
			s.confirm(text)
			s.load()
		}
	})
}

// correctSelected fills the form with the selected record's log line, to correct it.
func (s *exposuresScreen) correctSelected() {
	for _, m := range s.msgs {
		if m.ID == s.selected {
			if l, ok := logLineOf(m); ok {
				s.form.fill(l)
				s.tabs.SelectIndex(1)
			}
		}
	}
}

// enter sends the form's record to the backend; problems come back beside their fields.
func (s *exposuresScreen) enter(in exposure.Input) {
	s.form.result.Hide()
	s.u.bridge.background(func(ctx context.Context) func() {
		rec, err := s.u.backend.EnterExposure(ctx, in)
		return func() {
			if inv, ok := agent.IsInvalid(err); ok {
				s.form.showProblems(inv.Problems)
				return
			}
			s.form.showProblems(nil)
			if err != nil {
				s.form.fail(err)
				return
			}
			s.form.saved(fmt.Sprintf("Queued for Rave: %s, %s, %s.", rec.Subject, rec.Drug, rec.StartDate))
			s.load()
		}
	})
}

// doseForm is the entry form for one dose record: a row per field with its problem beside it.
type doseForm struct {
	entries map[string]*widget.Entry // by intake field name
	errs    map[string]*widget.Label
	save    *widget.Button
	result  *widget.Label
	failed  *widget.Label
	box     *fyne.Container
}

// doseFields are the form's rows: intake field, label, placeholder.
var doseFields = []struct{ name, label, hint string }{
	{exposure.FieldSubject, "Subject", "101-001"},
	{exposure.FieldSite, "Site", "3 characters, e.g. 101"},
	{exposure.FieldDrug, "Drug", "as configured, e.g. Isoniazid"},
	{exposure.FieldStartDate, "Start date", "YYYY-MM-DD"},
	{exposure.FieldStartTime, "Start time", "HH:MM on a 24-hour clock, or empty"},
	{exposure.FieldPrescribed, "Tablets prescribed", "e.g. 2 or 1.5"},
	{exposure.FieldTaken, "Tablets taken", "0 when none was taken"},
	{exposure.FieldMode, "Mode of observation", "empty when the start time is"},
	{exposure.FieldWithFood, "With food", "up to 3 characters"},
}

func newDoseForm(submit func(exposure.Input)) *doseForm {
	f := &doseForm{entries: map[string]*widget.Entry{}, errs: map[string]*widget.Label{}, result: widget.NewLabel(""),
		failed: errorLabel()}
	f.result.Hide()
	grid := container.NewGridWithColumns(3)
	for _, fd := range doseFields {
		e := widget.NewEntry()
		e.SetPlaceHolder(fd.hint)
		errl := widget.NewLabel("")
		errl.Importance = widget.DangerImportance
		errl.Wrapping = fyne.TextWrapWord
		f.entries[fd.name], f.errs[fd.name] = e, errl
		grid.Add(widget.NewLabel(fd.label))
		grid.Add(e)
		grid.Add(errl)
	}
	f.save = widget.NewButtonWithIcon("Queue for Rave", theme.ConfirmIcon(), func() { submit(f.input()) })
	f.save.Importance = widget.HighImportance
	intro := widget.NewLabel("Enter a dose record, or correct one (Correct… on the queue fills this form). A record " +
		"for a subject, drug and start date already queued or sent is an edit of that log line: only what changed goes to Rave.")
	intro.Wrapping = fyne.TextWrapWord
	f.box = container.NewVBox(intro, grid, container.NewHBox(f.save), f.result, f.failed)
	return f
}

func (f *doseForm) input() exposure.Input {
	v := func(name string) string { return f.entries[name].Text }
	return exposure.Input{Subject: v(exposure.FieldSubject), Site: v(exposure.FieldSite), Drug: v(exposure.FieldDrug),
		StartDate: v(exposure.FieldStartDate), StartTime: v(exposure.FieldStartTime), Prescribed: v(exposure.FieldPrescribed),
		Taken: v(exposure.FieldTaken), Mode: v(exposure.FieldMode), WithFood: v(exposure.FieldWithFood)}
}

// fill puts a log line's values in the form.
func (f *doseForm) fill(l exposure.LogLine) {
	for name, v := range map[string]string{
		exposure.FieldSubject: l.Key.Subject, exposure.FieldSite: l.Site, exposure.FieldDrug: l.Drug,
		exposure.FieldStartDate: l.Key.StartDate, exposure.FieldStartTime: l.Values.StartTime,
		exposure.FieldPrescribed: l.Values.Prescribed, exposure.FieldTaken: l.Values.Taken,
		exposure.FieldMode: l.Values.Mode, exposure.FieldWithFood: l.Values.WithFood,
	} {
		f.entries[name].SetText(v)
	}
	f.showProblems(nil)
	f.result.Hide()
}

// showProblems puts each problem beside its field and clears the others.
func (f *doseForm) showProblems(probs []exposure.Problem) {
	for _, l := range f.errs {
		l.SetText("")
	}
	for _, p := range probs {
		if l, ok := f.errs[p.Field]; ok && p.Reason != "" {
			l.SetText(strings.ToUpper(p.Reason[:1]) + sentence(p.Reason)[1:])
		}
	}
	f.failed.Hide()
}

func (f *doseForm) fail(err error) { showError(f.failed, "The record was not queued", err) }

func (f *doseForm) saved(text string) {
	f.result.SetText(text)
	f.result.Show()
}

// exposuresPlan is the Exposures entry of the dashboard's engine list until the dashboard shows the
// send service's own line (exposureService and its queue figures).
func exposuresPlan() plan {
	return plan{
		purpose: exposuresPurpose,
		creds:   []string{"intake.token", "rave.password"},
	}
}
