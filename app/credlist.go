package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/trialsync/trialsync/sync/agent"
)

// credentialList is the Settings screen's keyring entries: for each, whether it is set and its keyed
// fingerprint (never the secret, which trialsync does not show once stored), and Set… or Replace….
type credentialList struct {
	set func(name string)
	box *fyne.Container
}

func newCredentialList(set func(name string)) *credentialList {
	return &credentialList{set: set, box: container.New(tableLayout{cols: 3})}
}

// show redraws the rows.
func (c *credentialList) show(creds []agent.CredentialState) {
	c.box.RemoveAll()
	for _, cr := range creds {
		icon := widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon()))
		text := widget.NewLabel(cr.Name + ": set (fingerprint " + cr.Fingerprint + ")")
		action := "Replace…"
		if !cr.Set {
			icon.SetResource(theme.NewWarningThemedResource(theme.WarningIcon()))
			text.SetText(cr.Name + ": not set")
			action = "Set…"
		}
		name := cr.Name
		b := widget.NewButtonWithIcon(action, theme.DocumentCreateIcon(), func() { c.set(name) })
		b.Importance = widget.LowImportance
		c.box.Add(icon)
		c.box.Add(text)
		c.box.Add(b)
	}
	c.box.Refresh()
}
