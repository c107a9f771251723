package app

import "fyne.io/fyne/v2"

func checklistsPlan() plan {
	return plan{
		purpose: "Site-activation checklists kept in the EDC and the CTMS are reconciled field by field " +
			"against a stored baseline, with declared source-of-truth precedence. This screen will show " +
			"the last reconciliation and let you adjudicate genuine conflicts side by side.",
		creds: []string{"edc.token", "ctms.token"},
	}
}

func newChecklists(u *UI) (fyne.CanvasObject, func()) { return newPlanned(u, checklistsPlan()) }
