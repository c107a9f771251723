package app

import (
	"regexp"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// explained shows a failure as a sentence a coordinator understands, with the technical text (what
// support needs) one click away behind Details. Its methods run on the Fyne goroutine.
type explained struct {
	box      *fyne.Container
	sentence *widget.Label
	detail   *widget.Label
	toggle   *widget.Button
}

func newExplained() *explained {
	e := &explained{sentence: widget.NewLabel(""), detail: widget.NewLabel("")}
	e.sentence.Wrapping = fyne.TextWrapWord
	e.detail.Wrapping = fyne.TextWrapWord
	e.detail.Selectable = true
	e.detail.TextStyle = fyne.TextStyle{Monospace: true}
	e.detail.Hide()
	e.toggle = widget.NewButtonWithIcon("Details", theme.MoreHorizontalIcon(), func() {
		if e.detail.Visible() {
			e.detail.Hide()
			e.toggle.SetText("Details")
		} else {
			e.detail.Show()
			e.toggle.SetText("Hide details")
		}
	})
	e.toggle.Importance = widget.LowImportance
	e.box = container.NewVBox(container.NewBorder(nil, nil, nil, e.toggle, e.sentence), e.detail)
	return e
}

// set shows sentence, and detail behind the Details button (no button when detail adds nothing);
// danger colours the sentence red.
func (e *explained) set(sentence, detail string, danger bool) {
	e.sentence.SetText(sentence)
	e.sentence.Importance = widget.MediumImportance
	if danger {
		e.sentence.Importance = widget.DangerImportance
	}
	e.sentence.Refresh()
	e.detail.SetText(oneLine(detail))
	if strings.TrimSpace(detail) == "" {
		e.toggle.Hide()
		e.detail.Hide()
	} else {
		e.toggle.Show()
	}
}

// In plain words: the technical errors a coordinator meets, each with what it means and what to do.
// They are matched on the error's text, which the agent has already stripped of secrets.
var (
	reCredMissing  = regexp.MustCompile(`credential (\S+) not set`)
	reCredRejected = regexp.MustCompile(`credential (\S+) rejected|401|Unauthorized|RWS00008|Invalid MRNIntegrationToken`)
	reSlowDown     = regexp.MustCompile(`429|Too Many Requests|throttled|paused after repeated failures`)
	reUnreachable  = regexp.MustCompile(`connection refused|no such host|network is unreachable|cannot be reached|no answer within|i/o timeout|offline`)
	reCertificate  = regexp.MustCompile(`certificate`)
	reNotFound     = regexp.MustCompile(`404|Not Found|RWS00014`)
	reServerFault  = regexp.MustCompile(`\b5\d\d\b|Service Unavailable|Internal Server Error|Bad Gateway`)
	reLocked       = regexp.MustCompile(`locked by another|is locked`)
	reRolledBack   = regexp.MustCompile(`rolled back|replaced|refuses writes|audit key`)
)

// plainFailure says what a remote system's (or the store's) failure means for a coordinator and what
// to do about it. who is the system ("Rave").
func plainFailure(who, err string) string {
	switch {
	case reCredMissing.MatchString(err):
		name := reCredMissing.FindStringSubmatch(err)[1]
		return "The password or token " + name + " has not been set yet. Set it on the Settings screen."
	case reRolledBack.MatchString(err):
		return "The store does not match the audit trail's last checkpoint, so trialsync refuses to change it. " +
			"Ask your administrator before going on."
	case reLocked.MatchString(err):
		return "Another trialsync is using the store. Close it, then try again."
	case reCredRejected.MatchString(err):
		return who + " did not accept trialsync's password or token. Set it again on the Settings screen."
	case reSlowDown.MatchString(err):
		return who + " asked trialsync to slow down, so it is pausing before it tries again. Nothing is lost."
	case reCertificate.MatchString(err):
		return who + "'s security certificate is not trusted by this computer. Ask IT to check the address."
	case reUnreachable.MatchString(err):
		return who + " cannot be reached from this computer. trialsync waits and carries on when it answers."
	case reNotFound.MatchString(err):
		return who + " does not know something trialsync asked for. Check the study and addresses on the Settings screen."
	case reServerFault.MatchString(err):
		return who + " had a problem of its own. trialsync tries again by itself."
	}
	return who + " reported a problem. trialsync tries again by itself; the details say what it was."
}
