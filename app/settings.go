package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// newSettings shows where trialsync keeps its files and which credentials the keyring holds. Editing
// is done with the configuration file and `trialsync creds set NAME` until the settings editor lands.
func newSettings(u *UI) (fyne.CanvasObject, func()) {
	storeFile, configFile := field(), field()
	creds := newCredentialRows(knownCredentials(), true)
	errText := errorLabel()
	note := widget.NewLabel("Settings are read from the configuration file (TOML, see README.md); secrets " +
		"live only in the OS keyring and are set with `trialsync creds set NAME` (the secret is read from " +
		"standard input). Editing settings on this screen arrives with a later issue.")
	note.Wrapping = fyne.TextWrapWord
	content := container.NewVBox(
		form(
			heading("Files"), widget.NewLabel(""),
			widget.NewLabel("Store"), storeFile,
			widget.NewLabel("Configuration"), configFile,
		),
		heading("Credentials (OS keyring, service trialsync)"),
		creds.box,
		errText,
		widget.NewSeparator(),
		note,
	)
	shown := func() {
		u.loadStatus(func(st Status, err error) {
			showError(errText, "Could not read the store or keyring", err)
			storeFile.SetText(st.StorePath)
			configFile.SetText(configState(st))
			creds.update(st)
		})
	}
	return container.NewVScroll(content), shown
}
