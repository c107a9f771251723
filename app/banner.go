package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// Banner colours: darker than the theme's success and error colours so that white text on them stays
// readable (contrast above 4.5:1), and the same in light and dark variants, since a verification
// result must not depend on a theme setting.
var (
	bannerGreen = color.NRGBA{R: 0x2e, G: 0x7d, B: 0x32, A: 0xff}
	bannerRed   = color.NRGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff}
)

// banner is a full-width coloured strip with one line of white text: the audit verdict.
type banner struct {
	bg   *canvas.Rectangle
	text *canvas.Text
	box  *fyne.Container
}

func newBanner() *banner {
	b := &banner{bg: canvas.NewRectangle(bannerGreen), text: canvas.NewText("", color.White)}
	b.bg.CornerRadius = theme.InputRadiusSize()
	b.text.TextStyle = fyne.TextStyle{Bold: true}
	b.text.TextSize = theme.TextSubHeadingSize()
	b.box = container.NewStack(b.bg, container.NewPadded(container.NewPadded(b.text)))
	b.box.Hide()
	return b
}

func (b *banner) good(text string) { b.set(bannerGreen, text) }
func (b *banner) bad(text string)  { b.set(bannerRed, text) }

func (b *banner) set(c color.NRGBA, text string) {
	b.bg.FillColor = c
	b.text.Text = text
	b.box.Show()
	b.box.Refresh()
}

func (b *banner) hide() { b.box.Hide() }
