package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/trialsync/trialsync/store"
)

// auditColumns are the columns of the entry list, with their widths.
var auditColumns = []column{
	{"Seq", 70}, {"Time", 170}, {"Actor", 110}, {"Action", 160}, {"Object", 200}, {"Reason", 260},
}

// auditScreen lists the audit trail a page at a time (newest first) and verifies it on demand. All
// of its fields belong to the Fyne goroutine; background work reaches them only through the bridge.
type auditScreen struct {
	u *UI

	entries []store.Entry // the page on show, oldest first
	total   uint64        // entries in the ledger at the last load
	pending uint64        // entry to select once its page has loaded (0: none)
	loads   int           // counts load requests, so that only the latest one's result is shown

	table   *widget.Table
	page    *widget.Label
	newest  *widget.Button
	older   *widget.Button
	newer   *widget.Button
	listErr *widget.Label
	detail  *widget.Label // the selected entry in full

	verify    *widget.Button
	progress  binding.Float
	verifying *fyne.Container
	result    *banner
	busy      bool

	filter   *auditFilter
	export   *widget.Button
	exported *explained // the last export's outcome
}

func newAudit(u *UI) (fyne.CanvasObject, func()) {
	s := &auditScreen{u: u, page: widget.NewLabel(""), listErr: errorLabel(), progress: binding.NewFloat(),
		result: newBanner()}
	u.audit = s
	s.verify = widget.NewButtonWithIcon("Verify", theme.ConfirmIcon(), s.startVerify)
	s.verify.Importance = widget.HighImportance
	s.newest = widget.NewButtonWithIcon("Newest", theme.ViewRefreshIcon(), s.loadNewest)
	s.older = widget.NewButtonWithIcon("Older", theme.NavigateBackIcon(), s.loadOlder)
	s.newer = widget.NewButtonWithIcon("Newer", theme.NavigateNextIcon(), s.loadNewer)
	s.older.Disable()
	s.newer.Disable()
	bar := widget.NewProgressBarWithData(s.progress)
	bar.Max = 1
	s.verifying = container.NewBorder(nil, nil, widget.NewLabel("Verifying the chain…"), nil, bar)
	s.verifying.Hide()
	s.table = s.newTable()
	s.detail = widget.NewLabel(noDetail)
	s.detail.Wrapping = fyne.TextWrapWord
	s.detail.Selectable = true
	s.table.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(s.entries) {
			s.detail.SetText(details(s.entries[len(s.entries)-1-id.Row]))
		}
	}

	s.filter = newAuditFilter(s)
	s.export = widget.NewButtonWithIcon("Export…", theme.DocumentSaveIcon(), s.askExport)
	s.exported = newExplained()
	s.exported.box.Hide()
	toolbar := container.NewHBox(s.verify, s.export, widget.NewSeparator(), s.newest, s.older, s.newer, s.page)
	top := container.NewVBox(toolbar, s.verifying, s.result.box, s.exported.box, s.filter.box, s.listErr)
	return container.NewBorder(top, s.detail, nil, nil, s.table), s.loadNewest
}

func (s *auditScreen) newTable() *widget.Table {
	return newTextTable(auditColumns, func() int { return len(s.entries) }, func(row, col int) string {
		return cell(s.entries[len(s.entries)-1-row], col)
	})
}

// cell is the text of column col for e.
func cell(e store.Entry, col int) string {
	if e.Damage != "" && col > 0 {
		if col == 3 {
			return "(damaged)"
		}
		if col == 5 {
			return e.Damage
		}
		return ""
	}
	switch col {
	case 0:
		return strconv.FormatUint(e.Seq, 10)
	case 1:
		return e.Time.Local().Format("2006-01-02 15:04:05")
	case 2:
		return e.Actor
	case 3:
		return e.Action
	case 4:
		return e.Object
	case 5:
		return e.Reason
	}
	return ""
}

const noDetail = "Select an entry to see all of it."

// details is one entry in full, for the panel under the list.
func details(e store.Entry) string {
	if e.Damage != "" {
		return fmt.Sprintf("Entry %d cannot be read: %s", e.Seq, e.Damage)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Entry %d at %s by %s: %s %s\n", e.Seq, e.Time.UTC().Format(time.RFC3339), e.Actor, e.Action, e.Object)
	if e.Old != "" || e.New != "" {
		fmt.Fprintf(&b, "Old %q, new %q\n", e.Old, e.New)
	}
	fmt.Fprintf(&b, "Reason: %s\nRun %s", e.Reason, e.RunID)
	if e.CorrelationID != "" {
		fmt.Fprintf(&b, ", correlation %s", e.CorrelationID)
	}
	if e.PayloadHash != "" {
		fmt.Fprintf(&b, ", payload %s", e.PayloadHash)
	}
	fmt.Fprintf(&b, "\nHash %s", e.HashHex())
	return b.String()
}

// loadNewest shows the last page of the ledger, or the filter's newest matches while one is set.
func (s *auditScreen) loadNewest() {
	if s.filter != nil && s.filter.filtered {
		s.search(s.filter.active)
		return
	}
	s.load(nil)
}

// loadOlder and loadNewer move one page back or forward from the page on show.
func (s *auditScreen) loadOlder() {
	if len(s.entries) == 0 {
		return
	}
	first := s.entries[0].Seq
	after := uint64(0)
	if ps := uint64(s.u.opts.PageSize); first > ps+1 {
		after = first - 1 - ps
	}
	s.load(&after)
}

func (s *auditScreen) loadNewer() {
	if len(s.entries) == 0 {
		return
	}
	after := s.entries[len(s.entries)-1].Seq
	s.load(&after)
}

// load fetches the page of entries after *after, or the newest page when after is nil, together with
// the ledger's size for the page label.
func (s *auditScreen) load(after *uint64) {
	ps := s.u.opts.PageSize
	s.page.SetText("Loading…")
	s.u.bridge.latest(&s.loads, func(ctx context.Context) func() {
		st, err := s.u.backend.Status(ctx)
		if err != nil {
			return func() {
				showError(s.listErr, "Could not read the audit trail", err)
				s.page.SetText("")
			}
		}
		from := st.AuditCount - min(st.AuditCount, uint64(ps))
		if after != nil {
			from = *after
		}
		entries, err := s.u.backend.AuditEntries(ctx, from, ps)
		return func() {
			showError(s.listErr, "Could not read the audit trail", err)
			if err != nil {
				s.page.SetText("")
				return
			}
			s.show(entries, st.AuditCount)
		}
	})
}

// show puts a loaded page on screen.
func (s *auditScreen) show(entries []store.Entry, total uint64) {
	s.entries, s.total = entries, total
	s.table.UnselectAll()
	s.detail.SetText(noDetail)
	s.table.Refresh()
	if len(entries) == 0 {
		s.page.SetText("No entries")
		s.older.Disable()
		s.newer.Disable()
		return
	}
	first, last := entries[0].Seq, entries[len(entries)-1].Seq
	s.page.SetText(fmt.Sprintf("Entries %d–%d of %d, newest first", first, last, max(total, last)))
	setEnabled(s.older, first > 1)
	setEnabled(s.newer, last < total)
	if seq := s.pending; seq >= first && seq <= last {
		s.pending = 0
		row := widget.TableCellID{Row: int(last - seq), Col: 0}
		s.table.ScrollTo(row)
		s.table.Select(row)
	}
}

// startVerify walks the chain in the background with a progress bar, then shows the verdict: green
// with the count and tip, or red naming the first bad entry (and jumping to it in the list).
func (s *auditScreen) startVerify() {
	if s.busy {
		return
	}
	s.busy = true
	s.verify.Disable()
	s.result.hide()
	_ = s.progress.Set(0)
	s.verifying.Show()
	progress := s.u.bridge.progress(s.progress)
	s.u.bridge.background(func(ctx context.Context) func() {
		rep, err := s.u.backend.VerifyAudit(ctx, progress)
		return func() {
			s.busy = false
			s.verify.Enable()
			s.verifying.Hide()
			switch {
			case err != nil:
				s.result.bad("Could not verify: " + oneLine(err.Error()))
			case !rep.OK():
				s.result.bad(capitalize(oneLine(rep.Problem.Error())))
				s.showEntry(rep.Problem.Seq)
			default:
				s.result.good(fmt.Sprintf("Verified: %d entries, tip %s", rep.Entries, rep.TipHex()[:12]))
			}
		}
	})
}

// showEntry loads the page holding seq and selects it.
func (s *auditScreen) showEntry(seq uint64) {
	if seq == 0 {
		return
	}
	s.filter.forget()  // the entry is shown in the whole trail, not among a filter's matches
	if seq > s.total { // e.g. the first of a truncated tail: show the last entries there are
		s.load(nil)
		return
	}
	ps := uint64(s.u.opts.PageSize)
	after := (seq - 1) / ps * ps
	s.pending = seq
	s.load(&after)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
