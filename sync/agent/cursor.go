package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/trialsync/trialsync/sync/ravepull"
)

// CursorReset names a pull position to forget: the one that `pull --study Study [--site Site]` uses,
// for one feed or (Feed "") both, with the person's reason for the audit trail.
type CursorReset struct {
	Study, Site, Feed, Reason string
}

// FeedReset is what a reset did to one feed: Old is the forgotten position, Reset false when the
// feed had not started (nothing to forget).
type FeedReset struct {
	Feed  string
	Old   string
	Reset bool
}

// ResetCursor forgets a study's pull position, so that its next pull reads the feed from the
// beginning (what is already stored stays; reading it again changes nothing). Each forgotten position
// is audited with the old value, the person and the reason. A pull of the study running in this
// process at that moment makes it fail at once, asking to try again when the pull has ended.
func (a *Agent) ResetCursor(ctx context.Context, r CursorReset) ([]FeedReset, error) {
	r.Reason = strings.TrimSpace(r.Reason)
	switch {
	case r.Study == "":
		return nil, errors.New("reset: name the study whose pull position to forget")
	case r.Reason == "":
		return nil, errors.New("reset: a reason is required: it goes into the audit trail")
	}
	_, studies, err := a.raveStudies(r.Feed, r.Study, r.Site)
	if err != nil {
		return nil, err
	}
	st := studies[0]
	db, err := a.Store(ctx)
	if err != nil {
		return nil, err
	}
	unlock, ok := a.studies.tryLock(st.OID)
	if !ok {
		return nil, fmt.Errorf("%s is being pulled now: reset its position when that pull has ended", st.OID)
	}
	defer unlock()
	feeds := []string{ravepull.FeedDataset, ravepull.FeedAudit}
	if r.Feed != "" {
		feeds = []string{r.Feed}
	}
	eng := ravepull.New(ravepull.Options{DB: db, Log: a.log, RunID: a.runID})
	var out []FeedReset
	for _, f := range feeds {
		old, ok, err := eng.ResetCursor(ctx, st, f, a.actor, r.Reason)
		if err != nil {
			return out, err
		}
		out = append(out, FeedReset{Feed: f, Old: old, Reset: ok})
		if ok {
			a.log.Info().Str("study", st.OID).Str("feed", f).Str("reason", r.Reason).Msg("pull position reset")
		}
	}
	a.refreshAudit(ctx)
	return out, nil
}
