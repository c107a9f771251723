package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// setupHelp tells a person how to configure a service the configuration lacks: a title, where to
// add what, an example they can copy (each screen's tests load it with the real configuration
// loader), and what to do then. Hidden while the service is configured.
type setupHelp struct {
	box   *fyne.Container
	where *widget.Label
	add   string // the start of where's text, the configuration file's path following it
}

func newSetupHelp(title, add, example, then string) *setupHelp {
	h := &setupHelp{where: widget.NewLabel(""), add: add}
	h.where.Wrapping = fyne.TextWrapWord
	ex := widget.NewLabelWithStyle(example, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	ex.Selectable = true
	next := widget.NewLabel(then)
	next.Wrapping = fyne.TextWrapWord
	h.box = container.NewVBox(heading(title), h.where, ex, next)
	h.box.Hide()
	return h
}

// show shows the help, naming the configuration file at path, when on; hides it otherwise.
func (h *setupHelp) show(on bool, path string) {
	if on {
		h.where.SetText(h.add + path + ":")
	}
	setVisible(h.box, on)
}
