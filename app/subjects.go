package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/trialsync/trialsync/sync/agent"
)

// subjectsPurpose opens the screen: what the subject push does.
const subjectsPurpose = "Randomized subjects (subject ID, arm, site) go from Rave to SureAdhere with the regimen of " +
	"their arm, once each. An arm changed in Rave after the subject reached SureAdhere is never sent: it waits here for a person."

// subjectsExample is what the configuration needs for the subject push, shown when it lacks it. A test
// loads it with the real configuration loader, so it stays valid.
const subjectsExample = `[[rave.study]]
oid = "ALPHA(Prod)"
arm_item = "RAND.ARM"          # the item that holds the randomized arm

[sureadhere]
url = "https://sureadhere.example.org:8004"
regimens = { "Arm A" = "Group 1", "Arm B" = "Group 2" }   # Rave arm -> SureAdhere regimen`

// subjectColumns are the columns of the subject list, with their widths.
var subjectColumns = []column{
	{"Subject", 140}, {"Site", 60}, {"Arm", 110}, {"Regimen", 110}, {"State", 130}, {"Note", 440},
}

// subjectsScreen shows the randomized subjects and where each stands, the subjects that need a person
// first, with their action: acknowledge an arm change, retry or discard a dead send. Its fields belong
// to the Fyne goroutine.
type subjectsScreen struct {
	u     *UI
	push  agent.SubjectPushState // the state on show
	rows  []agent.SubjectRow     // the list on show
	loads int                    // counts list requests, so that only the latest one's result is shown
	runs  int                    // runs of both services when the list was last loaded

	pushNow   *widget.Button
	activity  *widget.Activity
	setup     *setupHelp    // how to configure the push; shown when the configuration lacks it
	problem   *widget.Label // the services are not running
	looked    *widget.Label // the discovery's last run
	delivery  *widget.Label // SureAdhere's side: delivering, offline, stopped
	counts    *widget.Label
	attention *fyne.Container // one row per subject that needs a person
	needHead  *widget.Label
	errText   *widget.Label // the list could not be read
	failed    *widget.Label // the last action failed
	done      *widget.Label // the last action, confirmed
	empty     *widget.Label
	table     *widget.Table
	creds     *credentialRows // whether the keyring holds SureAdhere's token
	credErr   *widget.Label

	// The open reason dialog and its entry (tests drive them).
	dialog *dialog.FormDialog
	reason *widget.Entry
}

func newSubjects(u *UI) (fyne.CanvasObject, func()) {
	s := &subjectsScreen{u: u, activity: widget.NewActivity(), problem: errorLabel(), looked: widget.NewLabel(""),
		delivery: widget.NewLabel(""), counts: widget.NewLabel(""), attention: container.NewVBox(),
		needHead: heading("Needs a person"), errText: errorLabel(), failed: errorLabel(), done: widget.NewLabel(""),
		empty: widget.NewLabel(""), creds: newCredentialRows([]string{agent.SureAdhereCredential}, false, nil),
		credErr: errorLabel()}
	u.subjects = s
	s.pushNow = widget.NewButtonWithIcon("Push now", theme.UploadIcon(), s.startPushNow)
	s.pushNow.Importance = widget.HighImportance
	s.pushNow.Disable()
	s.activity.Hide()
	for _, l := range []*widget.Label{s.looked, s.delivery, s.counts, s.empty, s.done} {
		l.Wrapping = fyne.TextWrapWord
	}
	s.done.Hide()
	s.needHead.Hide()
	s.empty.Hide()
	purpose := widget.NewLabel(subjectsPurpose)
	purpose.Wrapping = fyne.TextWrapWord

	s.setup = newSetupHelp("The subject push is not configured", "Add these to ", subjectsExample,
		"Then store SureAdhere's MRNIntegrationToken in the OS keyring with "+
			"`trialsync creds set sureadhere.token` (Settings can set it too) and reopen trialsync.")

	s.table = newTextTable(subjectColumns, func() int { return len(s.rows) }, func(row, col int) string {
		return subjectCell(s.rows[row], col)
	})
	top := container.NewVBox(container.NewHBox(s.pushNow, s.activity), purpose, s.setup.box, s.problem, s.looked,
		s.delivery, s.counts, s.errText, s.failed, s.done, s.needHead, s.attention, s.creds.box, s.credErr)
	list := container.NewBorder(container.NewVBox(heading("Randomized subjects"), s.empty), nil, nil, nil, s.table)
	split := container.NewVSplit(container.NewVScroll(top), list)
	split.Offset = 0.5
	u.state.subscribe(s.show)
	shown := func() {
		u.state.reload()
		s.load()
		u.loadStatus(func(st agent.Status, err error) {
			showError(s.credErr, "Could not read the keyring", err)
			s.creds.update(st)
		})
	}
	return split, shown
}

// snapshot's view of the subject push.
func (s snapshot) subjects() agent.SubjectPushState { return agent.SubjectPushOf(s.Snapshot) }

// startPushNow asks the subject service to look for subjects and the send service to deliver.
func (s *subjectsScreen) startPushNow() {
	s.u.bridge.background(func(context.Context) func() {
		s.u.backend.Kick(agent.EngineSubjects)
		s.u.backend.Kick(agent.EngineSend)
		return nil
	})
}

// show puts a new state on screen, and reloads the list when a run of either service has ended.
func (s *subjectsScreen) show(snap snapshot) {
	p := snap.subjects()
	s.push = p
	now := time.Now()
	busy := p.Discovery != nil && p.Discovery.Running || p.Send != nil && p.Send.Running
	spin(s.activity, busy)
	setEnabled(s.pushNow, snap.Problem == "" && p.Discovery != nil && !busy)

	s.setup.show(!p.Configured && snap.Problem == "", snap.ConfigPath)
	if snap.Problem != "" {
		s.problem.SetText("The subject push is not running: " + sentence(snap.Problem) + " Fix this, then reopen trialsync.")
		s.problem.Show()
	} else {
		s.problem.Hide()
	}
	setLine(s.looked, lookedLine(p, now))
	setLine(s.delivery, deliveryLine(p, now))

	runs := 0
	for _, st := range []*agent.ServiceState{p.Discovery, p.Send} {
		if st != nil {
			runs += st.Runs
		}
	}
	if runs != s.runs {
		s.runs = runs
		s.load()
	}
}

// setLine shows l's line (red when it reports a failure), or hides l when there is none.
func setLine(l *widget.Label, line pullLine) {
	if line.text == "" {
		l.Hide()
		return
	}
	line.paint(l)
	l.Show()
}

// lookedLine is the discovery's state: when it last looked and what it found.
func lookedLine(p agent.SubjectPushState, now time.Time) pullLine {
	d := p.Discovery
	switch {
	case d == nil:
		return pullLine{}
	case d.Running:
		return pullLine{"Looking for randomized subjects in the pulled data…", false}
	case d.Stopped:
		return pullLine{"Looking for subjects has stopped: " + stopText(*d), true}
	case d.Runs == 0:
		return pullLine{"Waiting for the first look at the pulled data.", false}
	case d.Err != "":
		return pullLine{"The last look for subjects failed at " + clock(d.LastEnd, now) + ": " + sentence(d.Err) +
			" Next try at " + clock(d.NextRun, now) + ".", true}
	}
	text := fmt.Sprintf("Last looked at %s: %s randomized %s", clock(d.LastEnd, now), count(p.Subjects), wordFor(p.Subjects, "subject"))
	if q := d.Last.Figure("queued"); q > 0 {
		text += fmt.Sprintf(", %s newly queued", count(q))
	}
	return pullLine{text + ". Next look at " + clock(d.NextRun, now) + ".", false}
}

// deliveryLine is the send service's state: SureAdhere answering, offline, or refusing the token.
func deliveryLine(p agent.SubjectPushState, now time.Time) pullLine {
	st, q := p.Send, p.Queue
	switch {
	case st == nil:
		return pullLine{}
	case st.Stopped:
		return pullLine{"Sending to SureAdhere has stopped: " + stopText(*st), true}
	case st.Offline:
		return pullLine{fmt.Sprintf("SureAdhere cannot be reached: %s The %s held %s go as soon as it answers; nothing is lost.",
			sentence(st.Err), count(q.Held+q.Pending), wordFor(q.Held+q.Pending, "subject")), true}
	case st.Running:
		return pullLine{"Sending subjects to SureAdhere…", false}
	case st.Err != "":
		return pullLine{"The last delivery failed at " + clock(st.LastEnd, now) + ": " + sentence(st.Err) +
			" Next try at " + clock(st.NextRun, now) + ".", true}
	case st.Runs == 0:
		return pullLine{"Waiting for the first delivery.", false}
	}
	var parts []string
	if n := q.Pending + q.Sending; n > 0 {
		parts = append(parts, fmt.Sprintf("%s %s on the way", count(n), wordFor(n, "subject")))
	}
	if q.Dead > 0 {
		parts = append(parts, fmt.Sprintf("%s not delivered (see below)", count(q.Dead)))
	}
	if len(parts) == 0 {
		parts = append(parts, "every queued subject delivered")
	}
	return pullLine{"SureAdhere answers: " + strings.Join(parts, ", ") + ". Last delivery at " + clock(st.LastEnd, now) + ".", q.Dead > 0}
}

func wordFor(n int, word string) string { // "subject", "subjects"
	if n == 1 {
		return word
	}
	return word + "s"
}

// load reads the subject list and shows it.
func (s *subjectsScreen) load() {
	s.u.bridge.latest(&s.loads, func(ctx context.Context) func() {
		rows, err := s.u.backend.Subjects(ctx)
		return func() {
			showError(s.errText, "Could not read the subjects", err)
			if err == nil {
				s.showRows(rows)
			}
		}
	})
}

// showRows puts the list on screen: the counts, the subjects that need a person, and the table.
func (s *subjectsScreen) showRows(rows []agent.SubjectRow) {
	s.rows = rows
	c := agent.CountSubjects(rows)
	if len(rows) == 0 {
		s.empty.SetText("No randomized subject yet: subjects appear here once the Rave pull has stored their arm.")
		s.empty.Show()
		s.counts.Hide()
	} else {
		s.empty.Hide()
		s.counts.SetText(countsText(c))
		s.counts.Show()
	}
	s.attention.RemoveAll()
	for _, want := range []string{"arm_changed", "dead", "unmapped"} { // the most urgent first
		for _, r := range rows {
			if r.Status() == want {
				s.attention.Add(s.attentionRow(r))
			}
		}
	}
	if len(s.attention.Objects) > 0 {
		s.needHead.SetText(fmt.Sprintf("Needs a person (%d)", len(s.attention.Objects)))
		s.needHead.Show()
	} else {
		s.needHead.Hide()
	}
	s.table.Refresh()
}

// countsText is the list's counts in one sentence.
func countsText(c agent.SubjectCounts) string {
	parts := []string{count(c.Pushed) + " in SureAdhere"}
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, count(n)+" "+what)
		}
	}
	add(c.Queued, "on their way")
	add(c.Held, "held while SureAdhere cannot be reached")
	add(c.Dead, "not delivered")
	add(c.Discarded, "discarded")
	add(c.Unmapped, wordFor(c.Unmapped, "arm")+" without a regimen")
	add(c.ArmChanged, wordFor(c.ArmChanged, "arm change")+" to acknowledge")
	return fmt.Sprintf("%s randomized %s: %s.", count(c.Subjects), wordFor(c.Subjects, "subject"), strings.Join(parts, ", "))
}

// attentionRow is one subject that needs a person: what is wrong in red, and its action.
func (s *subjectsScreen) attentionRow(r agent.SubjectRow) fyne.CanvasObject {
	l := widget.NewLabel(attentionText(r))
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.DangerImportance
	var buttons []fyne.CanvasObject
	switch r.Status() {
	case "arm_changed":
		b := widget.NewButtonWithIcon("Acknowledge…", theme.ConfirmIcon(), func() { s.askAcknowledge(r) })
		buttons = append(buttons, b)
	case "dead":
		id := r.Message
		retry := widget.NewButtonWithIcon("Retry", theme.ViewRefreshIcon(), func() { s.retry(r.Key(), id) })
		discard := widget.NewButtonWithIcon("Discard…", theme.DeleteIcon(), func() { s.askDiscard(r.Key(), id) })
		buttons = append(buttons, retry, discard)
	}
	return container.NewBorder(nil, nil, nil, container.NewHBox(buttons...), l)
}

// attentionText says what is wrong with a subject and what to do, in a coordinator's words.
func attentionText(r agent.SubjectRow) string {
	key := r.Key() + " (site " + r.Site + ")"
	switch r.Status() {
	case "arm_changed":
		c := r.Change
		return fmt.Sprintf("%s: Rave's arm changed after the subject reached SureAdhere, from %s to %s. SureAdhere keeps regimen %q "+
			"and its ingest cannot change it, so nothing is sent: change the regimen in SureAdhere, then acknowledge.",
			key, armName(c.From), armName(c.To), c.FromRegimen)
	case "dead":
		text := fmt.Sprintf("%s: not delivered after %d %s: %s", key, r.Attempts, wordFor(r.Attempts, "attempt"), sentence(r.Error))
		if r.Advice != "" {
			text += " " + sentence(r.Advice)
		}
		return text
	case "unmapped":
		return fmt.Sprintf("%s: not sent: %s Map it in the configuration, then reopen trialsync.", key, sentence(capitalize(r.Problem)))
	}
	return key
}

func armName(arm string) string {
	if arm == "" {
		return "(none)"
	}
	return fmt.Sprintf("%q", arm)
}

// subjectCell is the text of column col for r.
func subjectCell(r agent.SubjectRow, col int) string {
	switch col {
	case 0:
		return r.ID
	case 1:
		return r.Site
	case 2:
		if r.Arm == "" {
			return "(none)"
		}
		return r.Arm
	case 3:
		return r.Regimen
	case 4:
		return stateWords(r)
	case 5:
		return noteOf(r)
	}
	return ""
}

// stateWords is a subject's status for the list.
func stateWords(r agent.SubjectRow) string {
	switch st := r.Status(); st {
	case "pushed":
		return "in SureAdhere"
	case "arm_changed":
		return "arm changed"
	case "unmapped":
		return "no regimen"
	case "pending", "queued":
		return "queued"
	case "sending":
		return "sending…"
	case "held":
		return "held (offline)"
	case "dead":
		return "not delivered"
	default:
		return st
	}
}

// noteOf is the list's note for r: what SureAdhere holds, or what is wrong.
func noteOf(r agent.SubjectRow) string {
	switch {
	case r.Pushed != nil && r.Change != nil && r.Change.Acknowledged != nil:
		a := r.Change.Acknowledged
		return fmt.Sprintf("arm changed from %s; acknowledged by %s: %s", armName(r.Change.From), a.By, oneLine(a.Reason))
	case r.Pushed != nil && r.Change != nil:
		return fmt.Sprintf("SureAdhere keeps %q (arm %s)", r.Pushed.Patient.Regimen, armName(r.Change.From))
	case r.Pushed != nil && r.Pushed.Status == 409:
		return "already registered in SureAdhere"
	case r.Pushed != nil:
		return "registered " + r.Pushed.At.Local().Format("2006-01-02 15:04")
	case r.Status() == "unmapped":
		return r.Problem
	case r.Error != "":
		return oneLine(r.Error)
	}
	return ""
}

// askAcknowledge opens the Acknowledge dialog for r's arm change; its button stays disabled until the
// reason has some text, and Cancel changes nothing.
func (s *subjectsScreen) askAcknowledge(r agent.SubjectRow) {
	study, subject, key := r.Study, r.ID, r.Key()
	explain := widget.NewLabel(fmt.Sprintf("SureAdhere's ingest cannot change a patient's regimen, so trialsync sends nothing. "+
		"Change %s's regimen in SureAdhere first (arm %s is %s), then record it here.", subject, armName(r.Change.To), regimenWords(r.Change.ToRegimen)))
	explain.Wrapping = fyne.TextWrapWord
	s.openReason("Acknowledge the arm change of "+key, "Acknowledge", "e.g. regimen changed to Group 2 in SureAdhere",
		explain, func(reason string) {
			s.act(func(ctx context.Context) error {
				return s.u.backend.AcknowledgeArmChange(ctx, study, subject, reason)
			}, "Could not acknowledge the arm change of "+key, key+": arm change acknowledged; nothing was sent to SureAdhere.")
		})
}

func regimenWords(regimen string) string {
	if regimen == "" {
		return "not mapped to a regimen"
	}
	return fmt.Sprintf("regimen %q", regimen)
}

// askDiscard opens the Discard dialog for message id.
func (s *subjectsScreen) askDiscard(key string, id uint64) {
	explain := widget.NewLabel("The subject is not sent to SureAdhere; the next look at Rave's data does not queue it again unless its arm or site changes.")
	explain.Wrapping = fyne.TextWrapWord
	s.openReason("Discard the send of "+key, "Discard", "e.g. registered in SureAdhere by hand", explain, func(reason string) {
		s.act(func(ctx context.Context) error {
			_, err := s.u.backend.DiscardMessage(ctx, id, reason)
			return err
		}, "Could not discard the send of "+key, key+": send discarded.")
	})
}

// retry re-queues message id.
func (s *subjectsScreen) retry(key string, id uint64) {
	s.act(func(ctx context.Context) error {
		_, err := s.u.backend.RetryMessage(ctx, id)
		return err
	}, "Could not retry "+key, key+": queued again.")
}

// openReason shows a dialog asking for a reason, which the audit trail records; ok gets it.
func (s *subjectsScreen) openReason(title, confirm, placeholder string, explain fyne.CanvasObject, ok func(reason string)) {
	s.reason, s.dialog = askReason(s.u.win, reasonRequest{
		title: title, confirm: confirm, placeholder: placeholder, explain: explain, width: 560,
		done: func(yes bool, reason string) {
			s.dialog, s.reason = nil, nil
			if !yes {
				return
			}
			if reason == "" {
				showError(s.failed, "Nothing was recorded", errNoReason)
				return
			}
			ok(reason)
		},
	})
}

// act runs a person's action off the Fyne goroutine, then says how it went and reloads the list.
func (s *subjectsScreen) act(do func(ctx context.Context) error, failed, done string) {
	s.u.act(s.done, s.failed, failed, func(ctx context.Context) (string, error) { return done, do(ctx) }, s.load)
}

// subjectsDashboardLine is the subject push's line on the dashboard.
func subjectsDashboardLine(s snapshot, now time.Time) pullLine {
	p := s.subjects()
	switch {
	case s.Problem != "" && p.Configured:
		return pullLine{"Not running: " + oneLine(s.Problem), true}
	case !p.Configured:
		return pullLine{"Not configured: add [sureadhere] and an arm_item (see the Subjects screen).", false}
	case p.Send != nil && (p.Send.Stopped || p.Send.Offline):
		return deliveryLine(p, now)
	case p.NeedPerson() == 1:
		return pullLine{fmt.Sprintf("%s randomized; 1 needs a person (Subjects screen).", count(p.Subjects)), true}
	case p.NeedPerson() > 1:
		return pullLine{fmt.Sprintf("%s randomized; %s need a person (Subjects screen).", count(p.Subjects), count(p.NeedPerson())), true}
	case p.Discovery == nil || p.Discovery.Runs == 0:
		return pullLine{"Starting…", false}
	}
	return pullLine{fmt.Sprintf("%s randomized %s; none waits for a person.", count(p.Subjects), wordFor(p.Subjects, "subject")), false}
}
