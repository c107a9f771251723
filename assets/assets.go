package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:generate go run gen_icon.go

//go:embed icon.png
var iconPNG []byte

// Icon is trialsync's application icon (256x256 PNG) as a Fyne resource, for the window, the
// taskbar and `fyne package` (FyneApp.toml points at the same file).
func Icon() fyne.Resource {
	return fyne.NewStaticResource("icon.png", iconPNG)
}
