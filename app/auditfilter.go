package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/agent"
)

// anyAction is the action filter's choice that selects every action.
const anyAction = "Any action"

// auditFilter is the Audit screen's filter row: action, actor, object and a time range, each field
// with its own message beside it when what was typed cannot be used. Its fields belong to the Fyne
// goroutine.
type auditFilter struct {
	s                       *auditScreen
	action                  *widget.Select
	actor, object, from, to *widget.Entry
	fromErr, toErr          *widget.Label
	apply, clear            *widget.Button
	box                     *fyne.Container
	active                  agent.AuditFilter
	filtered                bool
}

// timeLayouts are what the time fields accept, local time.
var timeLayouts = []string{"2006-01-02 15:04", "2006-01-02"}

func newAuditFilter(s *auditScreen) *auditFilter {
	f := &auditFilter{s: s, actor: widget.NewEntry(), object: widget.NewEntry(), from: widget.NewEntry(), to: widget.NewEntry(),
		fromErr: fieldError(), toErr: fieldError()}
	f.action = widget.NewSelect(append([]string{anyAction}, agent.AuditActions()...), nil)
	f.action.SetSelected(anyAction)
	f.actor.SetPlaceHolder("e.g. crc.jones or agent")
	f.object.SetPlaceHolder("e.g. ALPHA(Prod) or rave.password")
	f.from.SetPlaceHolder("YYYY-MM-DD [HH:MM]")
	f.to.SetPlaceHolder("YYYY-MM-DD [HH:MM]")
	for _, e := range []*widget.Entry{f.actor, f.object, f.from, f.to} {
		e.OnSubmitted = func(string) { f.run() }
	}
	f.from.OnChanged = func(string) { f.check() }
	f.to.OnChanged = func(string) { f.check() }
	f.apply = widget.NewButtonWithIcon("Filter", theme.SearchIcon(), f.run)
	f.clear = widget.NewButtonWithIcon("Clear", theme.ContentClearIcon(), f.reset)
	f.clear.Disable()
	f.box = container.New(tableLayout{cols: 6},
		widget.NewLabel("Action"), widget.NewLabel("Actor"), widget.NewLabel("Object"), widget.NewLabel("From"), widget.NewLabel("Until"), widget.NewLabel(""),
		f.action, sized(f.actor, 170), sized(f.object, 220), sized(f.from, 170), sized(f.to, 170), container.NewHBox(f.apply, f.clear),
		container.NewStack(), container.NewStack(), container.NewStack(), f.fromErr, f.toErr, container.NewStack(),
	)
	return f
}

// fieldError is the small red message beside (under) a field; empty until the field is wrong.
func fieldError() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.SizeName = theme.SizeNameCaptionText
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

// sized keeps o at least w wide in a row of cells.
func sized(o fyne.CanvasObject, w float32) fyne.CanvasObject {
	return container.New(&minWidth{w: w}, o)
}

type minWidth struct{ w float32 }

func (m *minWidth) MinSize(objects []fyne.CanvasObject) fyne.Size {
	s := objects[0].MinSize()
	return fyne.NewSize(max(s.Width, m.w), s.Height)
}

// Layout keeps the object at its own height, at the top: a field in a tall row stays a field's height.
func (m *minWidth) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	objects[0].Move(fyne.NewPos(0, 0))
	objects[0].Resize(fyne.NewSize(size.Width, min(size.Height, objects[0].MinSize().Height)))
}

var errTimeFormat = errors.New("write a date as 2026-03-31, or with a time as 2026-03-31 14:30")

// parseLocal reads a time field: "" is no bound.
func parseLocal(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errTimeFormat
}

// check shows each time field's problem beside it and reports whether the filter can run.
func (f *auditFilter) check() (agent.AuditFilter, bool) {
	from, ferr := parseLocal(f.from.Text)
	to, terr := parseLocal(f.to.Text)
	setFieldError(f.fromErr, ferr)
	setFieldError(f.toErr, terr)
	if ferr == nil && terr == nil && !from.IsZero() && !to.IsZero() && !to.After(from) {
		terr = errors.New("must be after From")
		setFieldError(f.toErr, terr)
	}
	if strings.TrimSpace(f.to.Text) != "" && terr == nil && len(strings.TrimSpace(f.to.Text)) == len("2006-01-02") {
		to = to.AddDate(0, 0, 1) // a day given as the end includes that day
	}
	af := agent.AuditFilter{Actor: strings.TrimSpace(f.actor.Text), Object: strings.TrimSpace(f.object.Text), From: from, To: to}
	if a := f.action.Selected; a != anyAction {
		af.Action = a
	}
	return af, ferr == nil && terr == nil
}

func setFieldError(l *widget.Label, err error) {
	if err == nil {
		say(l, "")
		return
	}
	say(l, err.Error())
}

// say puts text on a field's message label, hidden while there is nothing to say.
func say(l *widget.Label, text string) {
	l.SetText(text)
	setVisible(l, text != "")
}

// run applies the filter (or shows the newest page when it selects everything).
func (f *auditFilter) run() {
	af, ok := f.check()
	if !ok {
		return
	}
	if af.Empty() {
		f.reset()
		return
	}
	f.active, f.filtered = af, true
	f.clear.Enable()
	f.s.search(af)
}

// reset clears the filter and shows the newest page.
func (f *auditFilter) reset() {
	f.forget()
	f.s.loadNewest()
}

// forget clears the filter's fields without loading anything.
func (f *auditFilter) forget() {
	f.action.SetSelected(anyAction)
	for _, e := range []*widget.Entry{f.actor, f.object, f.from, f.to} {
		e.SetText("")
	}
	setFieldError(f.fromErr, nil)
	setFieldError(f.toErr, nil)
	f.active, f.filtered = agent.AuditFilter{}, false
	f.clear.Disable()
}

// search shows the newest page of entries the filter selects.
func (s *auditScreen) search(af agent.AuditFilter) {
	ps := s.u.opts.PageSize
	s.page.SetText("Searching…")
	s.u.bridge.latest(&s.loads, func(ctx context.Context) func() {
		entries, total, err := s.u.backend.SearchAudit(ctx, af, ps)
		return func() {
			showError(s.listErr, "Could not search the audit trail", err)
			if err != nil {
				s.page.SetText("")
				return
			}
			s.show(entries, uint64(len(entries)))
			s.older.Disable()
			s.newer.Disable()
			switch {
			case total == 0:
				s.page.SetText("No entry matches the filter")
			case total > len(entries):
				s.page.SetText(fmt.Sprintf("%s entries match; the newest %s are shown", count(total), count(len(entries))))
			default:
				s.page.SetText(fmt.Sprintf("%s matching entries, newest first", count(total)))
			}
		}
	})
}

// askExport opens the file dialog for the export; the chosen file is written by the agent.
func (s *auditScreen) askExport() {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			s.exported.set("Could not choose the file.", err.Error(), true)
			s.exported.box.Show()
			return
		}
		if w == nil {
			return // cancelled
		}
		path := w.URI().Path()
		_ = w.Close() // the dialog creates the file; the agent replaces it whole
		s.exportTo(path)
	}, s.u.win)
	d.SetFileName("trialsync-audit-" + time.Now().Format("2006-01-02") + ".jsonl")
	d.SetFilter(storage.NewExtensionFileFilter([]string{".jsonl"}))
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
}

// exportTo exports the audit trail to path off the Fyne goroutine and says how it went.
func (s *auditScreen) exportTo(path string) {
	s.export.Disable()
	s.exported.set("Exporting the audit trail to "+path+"…", "", false)
	s.exported.box.Show()
	s.u.bridge.background(func(ctx context.Context) func() {
		cp, n, err := s.u.backend.ExportAuditFile(ctx, path)
		return func() {
			s.export.Enable()
			switch {
			case errors.Is(err, store.ErrReadOnly):
				s.exported.set(fmt.Sprintf("Exported %s entries and the checkpoint to %s. The store is read-only, so the export is not recorded in it.",
					count(n), path), err.Error(), false)
			case err != nil:
				s.exported.set("The audit trail could not be exported to "+path+".", err.Error(), true)
			default:
				s.exported.set(fmt.Sprintf("Exported %s entries and the keyed checkpoint (tip %s) to %s.", count(n), shortHex(cp.Tip), path), "", false)
				s.load(nil) // the export is itself an entry now
			}
		}
	})
}

func shortHex(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
