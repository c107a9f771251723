package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/trialsync/trialsync/store"
)

// quarantineColumns are the columns of the fragment list, with their widths.
var quarantineColumns = []column{
	{"ID", 60}, {"Time", 170}, {"Source", 300}, {"Reason", 420},
}

const noFragment = "Select a fragment to see its text exactly as Rave sent it."

// quarantineView lists the fragments awaiting review; selecting one shows its text, and Resolve…
// records a person's reason for closing it. Its fields belong to the Fyne goroutine.
type quarantineView struct {
	u        *UI
	items    []store.Quarantined // unresolved, oldest first
	selected uint64              // ID of the selected fragment, 0 for none
	loads    int                 // counts load requests, so that only the latest one's result is shown

	header   *fyne.Container // title, count, Resolve… and messages: goes above the list
	body     fyne.CanvasObject
	count    *widget.Label
	resolve  *widget.Button
	done     *widget.Label // the last resolution, confirmed
	errText  *widget.Label // the list could not be read
	failed   *widget.Label // the last resolution failed or was refused
	table    *widget.Table
	fragment *widget.Label

	// The open Resolve dialog and its reason entry (tests drive them).
	dialog *dialog.FormDialog
	reason *widget.Entry
}

func newQuarantineView(u *UI) *quarantineView {
	q := &quarantineView{u: u, count: widget.NewLabel(""), done: widget.NewLabel(""), errText: errorLabel(),
		failed: errorLabel()}
	q.resolve = widget.NewButtonWithIcon("Resolve…", theme.ConfirmIcon(), q.askReason)
	q.resolve.Disable()
	q.done.Hide()
	q.table = q.newTable()
	q.fragment = widget.NewLabel(noFragment)
	q.fragment.Wrapping = fyne.TextWrapBreak
	q.fragment.Selectable = true
	q.table.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(q.items) {
			q.choose(q.items[id.Row])
		}
	}
	q.header = container.NewVBox(container.NewHBox(heading("Quarantine"), q.count, q.resolve, q.done), q.errText, q.failed)
	split := container.NewVSplit(q.table, container.NewVScroll(q.fragment))
	split.Offset = 0.55
	q.body = split
	return q
}

func (q *quarantineView) newTable() *widget.Table {
	return newTextTable(quarantineColumns, func() int { return len(q.items) }, func(row, col int) string {
		return quarantineCell(q.items[row], col)
	})
}

// quarantineCell is the text of column col for f.
func quarantineCell(f store.Quarantined, col int) string {
	switch col {
	case 0:
		return strconv.FormatUint(f.ID, 10)
	case 1:
		return f.Time.Local().Format("2006-01-02 15:04:05")
	case 2:
		return f.Source
	case 3:
		return oneLine(f.Reason)
	}
	return ""
}

// load reads the unresolved fragments and shows them, keeping the selection if it is still there.
func (q *quarantineView) load() {
	q.u.bridge.latest(&q.loads, func(ctx context.Context) func() {
		items, err := q.u.backend.Quarantine(ctx, false)
		return func() {
			showError(q.errText, "Could not read the quarantine", err)
			if err == nil {
				q.show(items)
			}
		}
	})
}

func (q *quarantineView) show(items []store.Quarantined) {
	q.items = items
	switch len(items) {
	case 0:
		q.count.SetText("nothing awaiting review")
	case 1:
		q.count.SetText("1 fragment awaiting review")
	default:
		q.count.SetText(count(len(items)) + " fragments awaiting review")
	}
	keep := q.selected
	q.clearSelection()
	q.table.UnselectAll()
	q.table.Refresh()
	for i, f := range items {
		if f.ID == keep {
			q.table.Select(widget.TableCellID{Row: i, Col: 0})
		}
	}
}

func (q *quarantineView) choose(f store.Quarantined) {
	q.selected = f.ID
	q.fragment.TextStyle = fyne.TextStyle{Monospace: true} // XML, as it came
	q.fragment.SetText(f.Fragment)
	q.resolve.Enable()
}

func (q *quarantineView) clearSelection() {
	q.selected = 0
	q.fragment.TextStyle = fyne.TextStyle{}
	q.fragment.SetText(noFragment)
	q.resolve.Disable()
}

// askReason opens the Resolve dialog for the selected fragment. Its Resolve button stays disabled
// until the reason has some text; Cancel changes nothing.
func (q *quarantineView) askReason() {
	id := q.selected
	if id == 0 {
		return
	}
	q.reason, q.dialog = askReason(q.u.win, reasonRequest{
		title: fmt.Sprintf("Resolve quarantined fragment %d", id), confirm: "Resolve",
		placeholder: "e.g. checked against the source document",
		done: func(ok bool, reason string) {
			q.dialog, q.reason = nil, nil
			if ok {
				q.submit(id, reason)
			}
		},
	})
}

// submit resolves fragment id with reason and reloads the list. A blank reason is refused here as
// well as by the dialog, so that nothing reaches the audit trail without one.
func (q *quarantineView) submit(id uint64, reason string) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		showError(q.failed, fmt.Sprintf("Fragment %d was not resolved", id), errNoReason)
		return
	}
	q.u.act(q.done, q.failed, fmt.Sprintf("Could not resolve fragment %d", id), func(ctx context.Context) (string, error) {
		return fmt.Sprintf("Fragment %d resolved.", id), q.u.backend.ResolveQuarantine(ctx, id, reason)
	}, q.load)
}
