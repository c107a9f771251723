package agent

import (
	"encoding/json"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/config"
	"github.com/trialsync/trialsync/sync/outbox"
)

// sendFigures adds the outbound queue to the dashboard's figures, per study and site: messages waiting
// (pending, sending, held), dead letters not yet discarded, and the urgent among them. A message's site
// is its payload's "site" (an exposure log line's SiteRef); its study is the kind's configured study
// (for exposures, [exposure] study_oid).
func sendFigures(_ *Agent, cfg *config.Config, tx *store.Tx, f *Figures) error {
	study := ""
	if cfg.Exposure != nil {
		study = cfg.Exposure.StudyOID
	}
	return store.Outbox[outbox.Message](tx).Walk(0, func(_ uint64, m outbox.Message) error {
		if m.State == outbox.Done || m.Discarded {
			return nil
		}
		var where struct {
			Site string `json:"site"`
		}
		_ = json.Unmarshal(m.Payload, &where) // a payload without a site counts for the study
		s := f.Site(study, where.Site)
		switch m.State {
		case outbox.Dead:
			s.Dead++
			if m.Urgent {
				s.Urgent++
			}
		default:
			s.Queued++
		}
		return nil
	})
}
