package app

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// errNoReason is the reason entry's verdict while it is blank.
var errNoReason = errors.New("a reason is required: it goes into the audit trail")

// reasonRequest describes a dialog that asks a person why before an audited action.
type reasonRequest struct {
	title, confirm string
	placeholder    string                       // an example reason
	hint           string                       // under the entry; "Recorded in the audit trail with your user name." when empty
	explain        fyne.CanvasObject            // shown above the entry, or nil
	blank          error                        // the entry's message while blank; errNoReason when nil
	width          float32                      // 520 when zero
	done           func(ok bool, reason string) // after the dialog closes; reason trimmed
}

// askReason shows the dialog on win and returns its reason entry and the dialog, which the screens
// keep while it is open (their tests type into it). Its confirm button stays disabled while the
// reason is blank; Cancel calls done with ok false.
func askReason(win fyne.Window, r reasonRequest) (*widget.Entry, *dialog.FormDialog) {
	entry := widget.NewEntry()
	entry.SetPlaceHolder(r.placeholder)
	blank := r.blank
	if blank == nil {
		blank = errNoReason
	}
	entry.Validator = func(v string) error {
		if strings.TrimSpace(v) == "" {
			return blank
		}
		return nil
	}
	item := widget.NewFormItem("Reason", entry)
	item.HintText = r.hint
	if item.HintText == "" {
		item.HintText = "Recorded in the audit trail with your user name."
	}
	items := []*widget.FormItem{item}
	if r.explain != nil {
		items = append([]*widget.FormItem{widget.NewFormItem("", r.explain)}, items...)
	}
	d := dialog.NewForm(r.title, r.confirm, "Cancel", items, func(ok bool) {
		r.done(ok, strings.TrimSpace(entry.Text))
	}, win)
	width := r.width
	if width == 0 {
		width = 520
	}
	d.Resize(fyne.NewSize(width, d.MinSize().Height))
	d.Show()
	win.Canvas().Focus(entry)
	return entry, d
}
