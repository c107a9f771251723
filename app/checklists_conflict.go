package app

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/trialsync/trialsync/sync/agent"
	"github.com/trialsync/trialsync/sync/checklist"
)

// The choices of a conflicting field, as its radio group shows them.
const (
	checklistTakeEDC  = "EDC"
	checklistTakeCTMS = "CTMS"
)

const checklistConflictHint = "Choose a value for each field in conflict and say why; both are recorded in the audit trail."

// conflictForm shows one conflict side by side — each field's EDC value, CTMS value and agreed value —
// with a choice of system for each conflicting field and a reason, both required before Settle.
type conflictForm struct {
	box      *fyne.Container
	title    *widget.Label
	grid     *fyne.Container
	choices  map[checklist.Field]*widget.RadioGroup
	reason   *widget.Entry
	settle   *widget.Button
	hint     *widget.Label
	err      *widget.Label
	current  *agent.ChecklistConflict
	onSettle func(agent.ChecklistConflict, map[agent.ChecklistField]agent.ChecklistSystem, string)
}

func newConflictForm(onSettle func(agent.ChecklistConflict, map[agent.ChecklistField]agent.ChecklistSystem, string)) *conflictForm {
	f := &conflictForm{title: widget.NewLabel(""), grid: container.NewGridWithColumns(5), reason: widget.NewMultiLineEntry(),
		hint: widget.NewLabel(checklistConflictHint), err: errorLabel(), onSettle: onSettle}
	f.title.Wrapping = fyne.TextWrapWord
	f.title.TextStyle = fyne.TextStyle{Bold: true}
	f.hint.Wrapping = fyne.TextWrapWord
	f.reason.SetPlaceHolder("Why these values (required)")
	f.reason.SetMinRowsVisible(2)
	f.reason.OnChanged = func(string) { f.check() }
	f.settle = widget.NewButtonWithIcon("Settle", theme.ConfirmIcon(), f.submit)
	f.settle.Importance = widget.HighImportance
	f.box = container.NewVBox(f.title, f.grid, widget.NewLabel("Reason:"), f.reason, f.hint, container.NewHBox(f.settle), f.err)
	f.clear()
	return f
}

// clear shows no conflict.
func (f *conflictForm) clear() {
	f.current = nil
	f.title.SetText("Choose a conflict to settle it.")
	f.grid.RemoveAll()
	f.choices = nil
	f.reason.SetText("")
	f.reason.Disable()
	f.err.Hide()
	f.settle.Disable()
}

// show puts conflict c on the form, every field side by side.
func (f *conflictForm) show(c agent.ChecklistConflict) {
	f.current = &c
	f.err.Hide()
	why := "changed differently in both systems since they last agreed"
	if c.Deleted != "" {
		why = "deleted in the " + c.Deleted.Label() + " and changed in the other system since they last agreed; the choice is about the whole item"
	}
	f.title.SetText(fmt.Sprintf("Conflict %s · %s · waiting %s: %s", c.ID, c.Key, checklist.AgeText(c.Age(time.Now())), why))
	f.grid.RemoveAll()
	for _, h := range []string{"Field", "EDC", "CTMS", "Agreed", "Take"} {
		f.grid.Add(heading(h))
	}
	conflicting := map[checklist.Field]bool{}
	for _, fc := range c.Fields {
		conflicting[fc.Field] = true
	}
	f.choices = map[checklist.Field]*widget.RadioGroup{}
	var base *checklist.Item
	if c.Baseline != nil {
		base = &c.Baseline.Item
	}
	for _, field := range checklist.Fields() {
		name := heading(field.String())
		if !conflicting[field] {
			name = widget.NewLabel(field.String())
		}
		f.grid.Add(name)
		for _, it := range []*checklist.Item{c.EDC, c.CTMS, base} {
			f.grid.Add(checklistValueLabel(field, it))
		}
		if !conflicting[field] {
			f.grid.Add(widget.NewLabel(""))
			continue
		}
		r := widget.NewRadioGroup([]string{checklistTakeEDC, checklistTakeCTMS}, func(string) { f.check() })
		r.Horizontal = true
		f.choices[field] = r
		f.grid.Add(r)
	}
	f.reason.SetText("")
	f.reason.Enable()
	f.check()
}

// valueLabel is a field's canonical value in an item; "(deleted)" when the system has no item.
func checklistValueLabel(field checklist.Field, it *checklist.Item) *widget.Label {
	l := widget.NewLabel("(deleted)")
	if it != nil {
		l.SetText(checklist.ValueText(checklistValue(field, it)))
	}
	l.Truncation = fyne.TextTruncateEllipsis
	l.Selectable = true
	return l
}

// fieldValue is a merged field's canonical value in it.
func checklistValue(field checklist.Field, it *checklist.Item) string {
	switch field {
	case checklist.FieldVersion:
		return it.Version
	case checklist.FieldStatus:
		return string(it.Status)
	case checklist.FieldEvidenceDocID:
		return it.EvidenceDocID
	case checklist.FieldMilestoneSignedOff:
		switch it.MilestoneSignedOff {
		case checklist.FlagYes:
			return "yes"
		case checklist.FlagNo:
			return "no"
		}
		return ""
	}
	return string(it.PlannedActivationDate)
}

// take is the choice made so far, and whether every conflicting field has one.
func (f *conflictForm) take() (map[agent.ChecklistField]agent.ChecklistSystem, bool) {
	take := map[agent.ChecklistField]agent.ChecklistSystem{}
	for field, r := range f.choices {
		switch r.Selected {
		case checklistTakeEDC:
			take[field] = agent.ChecklistEDC
		case checklistTakeCTMS:
			take[field] = agent.ChecklistCTMS
		default:
			return nil, false
		}
	}
	return take, true
}

// check enables Settle once every conflicting field has a choice and a reason is given.
func (f *conflictForm) check() {
	_, chosen := f.take()
	if f.current != nil && chosen && strings.TrimSpace(f.reason.Text) != "" {
		f.settle.Enable()
		return
	}
	f.settle.Disable()
}

func (f *conflictForm) submit() {
	take, ok := f.take()
	if f.current == nil || !ok || strings.TrimSpace(f.reason.Text) == "" {
		return
	}
	f.onSettle(*f.current, take, strings.TrimSpace(f.reason.Text))
}

// settling disables the form while a settlement is on its way.
func (f *conflictForm) settling(on bool) {
	if on {
		f.settle.Disable()
		f.reason.Disable()
		return
	}
	f.reason.Enable()
	f.check()
}

// fail shows why a settlement was refused; the choices and the reason stay for another try.
func (f *conflictForm) fail(err error) {
	showError(f.err, "The conflict was not settled", err)
}
