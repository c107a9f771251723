package app

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/trialsync/trialsync/sync/agent"
)

// Small building blocks the screens share.

// errorLabel is red text for a backend error; hidden until it has something to say.
func errorLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

// showError puts "what: err" on l (one line), or hides l when err is nil.
func showError(l *widget.Label, what string, err error) {
	if err == nil {
		l.SetText("")
		l.Hide()
		return
	}
	l.SetText(what + ": " + oneLine(err.Error()))
	l.Show()
}

// oneLine folds whitespace so that a multi-line error stays one line on screen.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// sentence is an error's text on one line, ending with a full stop, so that more can follow it.
func sentence(s string) string {
	s = oneLine(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

// setVisible shows o when on, hides it otherwise.
func setVisible(o fyne.CanvasObject, on bool) {
	if on {
		o.Show()
	} else {
		o.Hide()
	}
}

// setEnabled enables b when on, disables it otherwise.
func setEnabled(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

// spin shows and starts a while work is under way (on), and stops and hides it otherwise.
func spin(a *widget.Activity, on bool) {
	if on {
		a.Show()
		a.Start()
	} else {
		a.Stop()
		a.Hide()
	}
}

// heading is a bold section title.
func heading(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// field is a read-only value in a form grid, truncated rather than pushing the layout wide.
func field() *widget.Label {
	l := widget.NewLabel("")
	l.Truncation = fyne.TextTruncateEllipsis
	l.Selectable = true
	return l
}

// form lays out label/value pairs in two columns.
func form(pairs ...fyne.CanvasObject) *fyne.Container {
	return container.New(layout.NewFormLayout(), pairs...)
}

// act runs a person's action off the Fyne goroutine, then says how it went: "failed: err" in red on
// bad, or the text do returned on good; then it calls after (a reload), if any.
func (u *UI) act(good, bad *widget.Label, failed string, do func(ctx context.Context) (ok string, err error), after func()) {
	good.Hide()
	u.bridge.background(func(ctx context.Context) func() {
		ok, err := do(ctx)
		return func() {
			showError(bad, failed, err)
			if err == nil {
				say(good, ok)
			}
			if after != nil {
				after()
			}
		}
	})
}

// loadStatus asks the backend for its status off the Fyne goroutine and hands it to show on it.
func (u *UI) loadStatus(show func(agent.Status, error)) {
	u.bridge.background(func(ctx context.Context) func() {
		st, err := u.backend.Status(ctx)
		return func() { show(st, err) }
	})
}

// credentialRows shows, for each name, whether the keyring holds it and how to set it when not.
type credentialRows struct {
	names  []string
	extras bool              // also list credentials st holds that are not among names
	set    func(name string) // when not nil, each row has a Set… button calling it
	box    *fyne.Container
}

func newCredentialRows(names []string, extras bool, set func(name string)) *credentialRows {
	return &credentialRows{names: names, extras: extras, set: set, box: container.NewVBox()}
}

// update redraws the rows from st.
func (c *credentialRows) update(st agent.Status) {
	c.box.RemoveAll()
	seen := map[string]bool{}
	for _, n := range c.names {
		seen[n] = true
		c.box.Add(c.row(n, st.HasCredential(n)))
	}
	for _, n := range st.Credentials {
		if c.extras && !seen[n] {
			c.box.Add(c.row(n, true))
		}
	}
}

func (c *credentialRows) row(name string, set bool) fyne.CanvasObject {
	icon := widget.NewIcon(theme.ConfirmIcon())
	text := widget.NewLabel(name + ": set")
	if !set {
		icon.SetResource(theme.NewWarningThemedResource(theme.WarningIcon()))
		text.SetText(name + ": not set (trialsync creds set " + name + ")")
	}
	row := container.NewHBox(icon, text)
	if c.set != nil {
		b := widget.NewButtonWithIcon("Set…", theme.DocumentCreateIcon(), func() { c.set(name) })
		b.Importance = widget.LowImportance
		row.Add(b)
	}
	return row
}

// column is one column of a text table: its header and width.
type column struct {
	name  string
	width float32
}

// newTextTable is a read-only table of truncated labels under a bold header row, as the Audit and
// Quarantine lists use. rows and text are called on the Fyne goroutine.
func newTextTable(cols []column, rows func() int, text func(row, col int) string) *widget.Table {
	t := widget.NewTable(
		func() (int, int) { return rows(), len(cols) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			if id.Row < rows() {
				o.(*widget.Label).SetText(text(id.Row, id.Col))
			}
		})
	t.ShowHeaderRow = true
	t.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 && id.Col < len(cols) {
			o.(*widget.Label).SetText(cols[id.Col].name)
		}
	}
	for i, c := range cols {
		t.SetColumnWidth(i, c.width)
	}
	return t
}
