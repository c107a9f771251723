package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/trialsync/trialsync/sync/agent"
)

// feedChoices are the pull position section's feed options and the feed each one resets.
var feedChoices = []struct{ label, feed string }{
	{"Both feeds", ""},
	{"Audit records", agent.FeedAudit},
	{"Dataset", agent.FeedDataset},
}

// settingsScreen shows where trialsync keeps its files, sets credentials in the keyring, and resets a
// study's pull position. Its fields belong to the Fyne goroutine.
type settingsScreen struct {
	u                     *UI
	storeFile, configFile *widget.Label
	creds                 *credentialList
	form                  *configForm
	errText               *widget.Label
	credDone, credFailed  *widget.Label

	studies    []string // the Rave pull's studies on show
	position   *fyne.Container
	noPosition *widget.Label
	study      *widget.Select
	feed       *widget.Select
	reset      *widget.Button
	resetDone  *widget.Label
	resetError *widget.Label

	// The open dialog and its entry (tests drive them).
	dialog *dialog.FormDialog
	entry  *widget.Entry
}

func newSettings(u *UI) (fyne.CanvasObject, func()) {
	s := &settingsScreen{u: u, storeFile: field(), configFile: field(), errText: errorLabel(),
		credDone: widget.NewLabel(""), credFailed: errorLabel(), resetDone: widget.NewLabel(""), resetError: errorLabel()}
	u.settings = s
	s.credDone.Hide()
	s.resetDone.Hide()
	s.resetDone.Wrapping = fyne.TextWrapWord
	s.creds = newCredentialList(s.askSecret)
	s.form = newConfigForm(s)
	note := widget.NewLabel("Settings are kept in the configuration file (TOML, see README.md); saving here " +
		"rewrites it after the same checks as at start and keeps the previous one as a .bak file. Secrets live " +
		"only in the OS keyring: they are never shown again once set, only their fingerprint; set them here or " +
		"with `trialsync creds set NAME`.")
	note.Wrapping = fyne.TextWrapWord

	labels := make([]string, len(feedChoices))
	for i, c := range feedChoices {
		labels[i] = c.label
	}
	s.study = widget.NewSelect(nil, func(string) { s.enableReset() })
	s.study.PlaceHolder = "(choose a study)"
	s.feed = widget.NewSelect(labels, nil)
	s.feed.SetSelectedIndex(0)
	s.reset = widget.NewButtonWithIcon("Reset…", theme.MediaReplayIcon(), s.askReason)
	s.reset.Disable()
	explain := widget.NewLabel("Forget where a study's pull stands, so that its next pull reads Rave's feed from " +
		"the beginning. What is stored stays, and reading it again changes nothing. Use it when Rave has moved " +
		"to a new address or a pull keeps failing on a link it stored. The reset is recorded in the audit trail " +
		"with your reason.")
	explain.Wrapping = fyne.TextWrapWord
	s.position = container.NewVBox(explain, container.NewHBox(s.study, s.feed, s.reset), s.resetDone, s.resetError)
	s.noPosition = widget.NewLabel("Available once the Rave pull is configured and running.")

	content := container.NewVBox(
		form(
			heading("Files"), widget.NewLabel(""),
			widget.NewLabel("Store"), s.storeFile,
			widget.NewLabel("Configuration"), s.configFile,
		),
		heading("Credentials (kept in the OS keyring)"),
		s.creds.box, s.credDone, s.credFailed, s.errText,
		widget.NewSeparator(),
		heading("Connections, schedules, regimens and checklist owners"),
		s.form.box,
		widget.NewSeparator(),
		heading("Rave pull position"),
		s.position, s.noPosition,
		widget.NewSeparator(),
		note,
	)
	u.state.subscribe(s.show)
	shown := func() {
		u.state.reload()
		s.loadStatus()
		s.form.load()
	}
	return container.NewVScroll(content), shown
}

func (s *settingsScreen) loadStatus() {
	s.u.loadStatus(func(st agent.Status, err error) {
		showError(s.errText, "Could not read the store or keyring", err)
		s.storeFile.SetText(st.StorePath)
		s.configFile.SetText(configState(st))
	})
}

// show offers the Rave pull's studies for a position reset.
func (s *settingsScreen) show(snap snapshot) {
	var studies []string
	for _, st := range snap.pull().studies {
		if !slices.Contains(studies, st.Subject) {
			studies = append(studies, st.Subject)
		}
	}
	if len(studies) == 0 {
		s.position.Hide()
		s.noPosition.Show()
		return
	}
	s.noPosition.Hide()
	s.position.Show()
	if !slices.Equal(studies, s.studies) {
		s.studies = studies
		s.study.SetOptions(studies)
		if !slices.Contains(studies, s.study.Selected) {
			s.study.ClearSelected()
		}
	}
	s.enableReset()
}

func (s *settingsScreen) enableReset() { setEnabled(s.reset, s.study.Selected != "") }

// errNoSecret is the secret entry's verdict while it is empty.
var errNoSecret = errors.New("enter the secret")

// askSecret opens the dialog that sets (or replaces) credential name; Cancel changes nothing.
func (s *settingsScreen) askSecret(name string) {
	s.entry = widget.NewPasswordEntry()
	s.entry.Validator = func(v string) error {
		if v == "" {
			return errNoSecret
		}
		return nil
	}
	item := widget.NewFormItem("Secret", s.entry)
	item.HintText = "Kept only in the OS keyring; the audit trail records its fingerprint."
	entry := s.entry
	s.dialog = dialog.NewForm("Set credential "+name, "Set", "Cancel", []*widget.FormItem{item}, func(ok bool) {
		s.dialog, s.entry = nil, nil
		if ok {
			s.setSecret(name, entry.Text)
		}
	}, s.u.win)
	s.dialog.Resize(fyne.NewSize(480, s.dialog.MinSize().Height))
	s.dialog.Show()
	s.u.win.Canvas().Focus(entry)
}

// setSecret stores the secret and shows the outcome; the services stopped for want of it start again
// by themselves, and their states follow through the snapshot.
func (s *settingsScreen) setSecret(name, secret string) {
	s.credDone.Hide()
	if secret == "" {
		showError(s.credFailed, "Credential "+name+" was not set", errNoSecret)
		return
	}
	s.u.act(s.credDone, s.credFailed, "Could not set credential "+name, func(ctx context.Context) (string, error) {
		return "Credential " + name + " set.", s.u.backend.SetCredential(ctx, name, secret)
	}, s.loadCredentials) // the fingerprints, and with them the rows
}

// loadCredentials reads the credentials' states again and shows them, leaving the form's fields (and
// whatever is typed in them) alone.
func (s *settingsScreen) loadCredentials() {
	s.u.bridge.background(func(ctx context.Context) func() {
		st, err := s.u.backend.Settings(ctx)
		return func() {
			if err != nil {
				showError(s.credFailed, "Could not read the credentials", err)
				return
			}
			s.creds.show(st.Credentials)
		}
	})
}

// askReason opens the reset dialog for the chosen study and feed. Its Reset button stays disabled
// until the reason has some text; Cancel changes nothing.
func (s *settingsScreen) askReason() {
	study := s.study.Selected
	if study == "" {
		return
	}
	choice := feedChoices[max(s.feed.SelectedIndex(), 0)]
	s.entry, s.dialog = askReason(s.u.win, reasonRequest{
		title:       fmt.Sprintf("Reset the pull position of %s (%s)", study, strings.ToLower(choice.label)),
		confirm:     "Reset",
		placeholder: "e.g. Rave moved to a new address",
		width:       560,
		done: func(ok bool, reason string) {
			s.dialog, s.entry = nil, nil
			if ok {
				s.submitReset(agent.CursorReset{Study: study, Feed: choice.feed, Reason: reason})
			}
		},
	})
}

// submitReset asks the agent for the reset and says what it did. A blank reason is refused here as
// well as by the dialog, so that nothing reaches the audit trail without one.
func (s *settingsScreen) submitReset(r agent.CursorReset) {
	s.resetDone.Hide()
	if strings.TrimSpace(r.Reason) == "" {
		showError(s.resetError, r.Study+" was not reset", errNoReason)
		return
	}
	s.u.act(s.resetDone, s.resetError, "Could not reset "+r.Study, func(ctx context.Context) (string, error) {
		out, err := s.u.backend.ResetCursor(ctx, r)
		return resetText(r.Study, out), err
	}, nil)
}

// resetText says what a reset did, feed by feed.
func resetText(study string, out []agent.FeedReset) string {
	var parts []string
	for _, f := range out {
		name := "the audit records"
		if f.Feed == agent.FeedDataset {
			name = "the dataset"
		}
		if f.Reset {
			parts = append(parts, name+" will be read from the beginning at the next pull")
		} else {
			parts = append(parts, name+" had not been pulled yet (nothing to reset)")
		}
	}
	return study + ": " + strings.Join(parts, "; ") + "."
}
