package app

import (
	"context"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Options tune the window; the zero value is fine.
type Options struct {
	Title    string // window title; "trialsync" when empty
	PageSize int    // audit entries per page; 200 when zero
	// Notice, when set, is a line shown above every screen (the demo says what it runs on).
	Notice string
}

// UI is the coordinator's window: a navigation column on the left and one screen at a time.
type UI struct {
	app     fyne.App
	backend Backend
	opts    Options
	win     fyne.Window
	bridge  *bridge

	screens []screen
	nav     []*widget.Button
	content []fyne.CanvasObject
	shown   []func()
	title   *widget.Label
	body    *fyne.Container
	current int

	state  stateFeed // the agent's snapshot, for the screens that show it
	alarm  *alarm    // the audit trail's red strip above every screen
	tray   *tray     // the status icon, where the platform has one
	notice fyne.CanvasObject

	dashboard *dashboard      // kept for tests
	audit     *auditScreen    // kept for tests
	rave      *ravePullScreen // kept for tests
	settings  *settingsScreen // kept for tests
	subjects  *subjectsScreen // kept for tests
}

// New builds the window for a and b. Background calls run under ctx; cancelling it (Ctrl+C in the
// terminal) quits the app. Call from the Fyne goroutine (the main goroutine before Run).
func New(ctx context.Context, a fyne.App, b Backend, opts Options) *UI {
	if opts.Title == "" {
		opts.Title = "trialsync"
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 200
	}
	u := &UI{app: a, backend: b, opts: opts, bridge: newBridge(ctx), screens: screens(), current: -1}
	u.state.u = u
	u.win = a.NewWindow(opts.Title)
	if icon := a.Icon(); icon != nil {
		u.win.SetIcon(icon)
	}
	u.alarm = newAlarm(u)
	u.notice = newNotice(opts.Notice)
	u.state.subscribe(u.alarm.show)

	navBox := container.NewVBox()
	for i, s := range u.screens {
		btn := widget.NewButtonWithIcon(s.name, s.icon, func() { u.Select(i) })
		btn.Alignment = widget.ButtonAlignLeading
		btn.Importance = widget.LowImportance
		u.nav = append(u.nav, btn)
		navBox.Add(btn)
		content, shown := s.build(u)
		u.content = append(u.content, content)
		u.shown = append(u.shown, shown)
		u.win.Canvas().AddShortcut(&desktop.CustomShortcut{
			KeyName:  fyne.KeyName(strconv.Itoa(i + 1)),
			Modifier: fyne.KeyModifierShortcutDefault,
		}, func(fyne.Shortcut) { u.Select(i) })
	}
	u.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	u.title.SizeName = theme.SizeNameSubHeadingText
	u.body = container.NewStack()
	page := container.NewBorder(container.NewVBox(u.notice, u.alarm.box, u.title), nil, nil, nil, u.body)
	nav := container.NewBorder(nil, nil, nil, widget.NewSeparator(), container.NewPadded(navBox))
	u.win.SetContent(container.NewBorder(nil, nil, nav, nil, container.NewPadded(page)))
	u.win.Resize(fyne.NewSize(1120, 720))
	u.Select(0)
	if u.tray = newTray(u); u.tray != nil {
		u.state.subscribe(func(s snapshot) { u.tray.update(u, attention(s)) })
	}
	u.state.start() // last: from here on, updates may arrive
	return u
}

// Window is the main window.
func (u *UI) Window() fyne.Window { return u.win }

// Select shows screen i (0 = Dashboard, in the order of the navigation) and refreshes it.
func (u *UI) Select(i int) {
	if i < 0 || i >= len(u.screens) {
		return
	}
	if u.current >= 0 {
		u.nav[u.current].Importance = widget.LowImportance
		u.nav[u.current].Refresh()
	}
	u.current = i
	u.nav[i].Importance = widget.HighImportance
	u.nav[i].Refresh()
	u.title.SetText(u.screens[i].name)
	u.body.Objects = []fyne.CanvasObject{u.content[i]}
	u.body.Refresh()
	if f := u.shown[i]; f != nil {
		f()
	}
}

// SelectScreen shows the screen of that name (as the navigation names it); an unknown name does nothing.
func (u *UI) SelectScreen(name string) {
	for i, s := range u.screens {
		if s.name == name {
			u.Select(i)
			return
		}
	}
}

// Current is the name of the screen on show.
func (u *UI) Current() string { return u.screens[u.current].name }

// ShowAndRun shows the window and runs the app until the window is closed or the context given to
// New ends. It must be called on the main goroutine.
func (u *UI) ShowAndRun() {
	stopped := make(chan struct{})
	defer close(stopped)
	u.bridge.quitWhenDone(u.app, stopped)
	u.win.SetMaster()
	u.win.ShowAndRun()
}
