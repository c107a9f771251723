package app

import (
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// alarm is the red strip above every screen while the audit trail's last verification (scheduled or
// asked for) found a problem: it cannot be missed whichever screen is on show, and its button leads
// to the Audit screen, where the entry is.
type alarm struct {
	u    *UI
	bg   *canvas.Rectangle
	text *canvas.Text
	open *widget.Button
	box  *fyne.Container
	on   bool
}

func newAlarm(u *UI) *alarm {
	a := &alarm{u: u, bg: canvas.NewRectangle(bannerRed), text: canvas.NewText("", color.White)}
	a.bg.CornerRadius = theme.InputRadiusSize()
	a.text.TextStyle = fyne.TextStyle{Bold: true}
	a.open = widget.NewButtonWithIcon("Open the Audit screen", theme.ErrorIcon(), func() { u.SelectScreen("Audit") })
	a.box = container.NewStack(a.bg, container.NewPadded(container.NewBorder(nil, nil, nil, a.open, container.NewPadded(a.text))))
	a.box.Hide()
	return a
}

// show raises or lowers the alarm for the snapshot's audit state.
func (a *alarm) show(s snapshot) {
	if s.Audit.Problem == "" {
		a.on = false
		a.box.Hide()
		return
	}
	a.on = true
	a.text.Text = alarmText(s, time.Now())
	a.box.Show()
	a.box.Refresh()
}

// alarmText is the alarm's one line: what failed, when and by whom.
func alarmText(s snapshot, now time.Time) string {
	return "The audit trail failed verification at " + shortClock(s.Audit.Verified, now) + " " + verifiedBy(s.Audit) + ": " +
		sentence(capitalize(s.Audit.Problem))
}

// newNotice is the grey line above every screen that Options.Notice sets (the demo's).
func newNotice(text string) fyne.CanvasObject {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	l.Wrapping = fyne.TextWrapWord
	if text == "" {
		l.Hide()
	}
	return container.NewBorder(nil, nil, widget.NewIcon(theme.InfoIcon()), nil, l)
}
