package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/trialsync/trialsync/sync/agent"
)

// plan describes a screen whose engine this version does not have: what the screen will do and the
// credentials it will need. The screen says exactly that and shows what is already real (whether
// those credentials are set), never made-up data.
type plan struct {
	purpose string
	creds   []string
}

// state is the planned screen's one-line state, for its header and the dashboard.
func (p plan) state() string { return "Not available in this version." }

// newPlanned builds the screen for p.
func newPlanned(u *UI, p plan) (fyne.CanvasObject, func()) {
	state := widget.NewLabelWithStyle(p.state(), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	purpose := widget.NewLabel(p.purpose)
	purpose.Wrapping = fyne.TextWrapWord
	rows := newCredentialRows(p.creds, false, nil)
	errText := errorLabel()
	content := container.NewVBox(state, purpose, widget.NewSeparator(),
		heading("Credentials it will use (OS keyring)"), rows.box, errText)
	shown := func() {
		u.loadStatus(func(st agent.Status, err error) {
			showError(errText, "Could not read the keyring", err)
			rows.update(st)
		})
	}
	return container.NewVScroll(content), shown
}
