package agent

import (
	"strings"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/checklist"
	"github.com/trialsync/trialsync/sync/config"
)

// checklistFigures adds the checklist conflicts waiting for a person to the dashboard's figures, per
// site, with when the oldest of each site was found. They go on the Rave study whose project is the
// checklist's study ("ALPHA" for "ALPHA(Prod)"), so that a site's figures are on one row; on a study
// of their own when no Rave study is configured for it.
func checklistFigures(_ *Agent, cfg *config.Config, tx *store.Tx, f *Figures) error {
	study := cfg.Checklist.StudyID
	if cfg.Rave != nil {
		for _, st := range cfg.Rave.Studies {
			if project, _, _ := strings.Cut(st.OID, "("); project == cfg.Checklist.StudyID {
				study = st.OID
				break
			}
		}
	}
	return store.Conflicts[checklist.OpenConflict](tx).Walk(nil, func(_ store.Key, c checklist.OpenConflict) error {
		if !c.IsOpen() {
			return nil
		}
		s := f.Site(study, c.Key.Site)
		s.Conflicts++
		if s.OldestConflict.IsZero() || c.Opened.Before(s.OldestConflict) {
			s.OldestConflict = c.Opened
		}
		return nil
	})
}
