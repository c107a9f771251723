package app

import "fyne.io/fyne/v2"

func exposuresPlan() plan {
	return plan{
		purpose: "Daily dose (exposure) log lines from SureAdhere go to Rave as CDISC ODM transactions " +
			"through an offline-tolerant outbound queue. This screen will show the queue, delivery " +
			"states, dead letters and a Retry button.",
		creds: []string{"intake.token", "rave.password"},
	}
}

func newExposures(u *UI) (fyne.CanvasObject, func()) { return newPlanned(u, exposuresPlan()) }
