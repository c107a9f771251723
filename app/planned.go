package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// plan describes a screen whose engine has not been built yet: what it will do and the credentials
// it will need. The screen says exactly that and shows what is already real
// (whether those credentials are set), never made-up data.
type plan struct {
	purpose string
	creds   []string
}

// arrives is the one-line state of the planned screen.
func (p plan) arrives() string { return "Not built yet: arrives with a later issue." }

// newPlanned builds the placeholder screen for p.
func newPlanned(u *UI, p plan) (fyne.CanvasObject, func()) {
	state := widget.NewLabelWithStyle(p.arrives(), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	purpose := widget.NewLabel(p.purpose)
	purpose.Wrapping = fyne.TextWrapWord
	rows := newCredentialRows(p.creds, false)
	errText := errorLabel()
	content := container.NewVBox(state, purpose, widget.NewSeparator(),
		heading("Credentials it will use (OS keyring)"), rows.box, errText)
	shown := func() {
		u.loadStatus(func(st Status, err error) {
			showError(errText, "Could not read the keyring", err)
			rows.update(st)
		})
	}
	return container.NewVScroll(content), shown
}
