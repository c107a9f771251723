package app

import "fyne.io/fyne/v2"

func subjectsPlan() plan {
	return plan{
		purpose: "Randomized subjects (subject ID, arm, site) go from Rave to SureAdhere's patient-ingest " +
			"API. This screen will list subjects with their arm, regimen and push state.",
		creds: []string{"sureadhere.token"},
	}
}

func newSubjects(u *UI) (fyne.CanvasObject, func()) { return newPlanned(u, subjectsPlan()) }
