package app

import "fyne.io/fyne/v2"

func ravePullPlan() plan {
	return plan{
		issue: 4,
		purpose: "Streams clinical data and audit records out of Medidata Rave through Rave Web Services, " +
			"site by site and incrementally, into the local store; bad fragments are quarantined for review " +
			"instead of halting the pull. This screen will show each study and site, its cursor, the last " +
			"page, quarantined fragments and a Pull now button.",
		creds: []string{"rave.password", "rave.client_secret"},
	}
}

func newRavePull(u *UI) (fyne.CanvasObject, func()) { return newPlanned(u, ravePullPlan()) }
