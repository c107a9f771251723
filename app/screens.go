package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// screen is one entry of the navigation. build makes its content once; the function it returns (nil
// when there is nothing to reload) runs every time the screen is shown, so what it shows is current.
type screen struct {
	name  string
	icon  fyne.Resource
	build func(u *UI) (content fyne.CanvasObject, shown func())
}

// screens is the navigation, in order; Ctrl+1 .. Ctrl+7 select them (Cmd on macOS).
func screens() []screen {
	return []screen{
		{"Dashboard", theme.HomeIcon(), newDashboard},
		{"Rave pull", theme.DownloadIcon(), newRavePull},
		{"Exposures", theme.UploadIcon(), newExposures},
		{"Subjects", theme.AccountIcon(), newSubjects},
		{"Checklists", theme.ListIcon(), newChecklists},
		{"Audit", theme.ConfirmIcon(), newAudit},
		{"Settings", theme.SettingsIcon(), newSettings},
	}
}
