package agent

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/trialsync/trialsync/sync/config"
	"github.com/trialsync/trialsync/sync/ravepull"
)

// EngineRavePull is the Rave pull's engine name.
const EngineRavePull = "rave-pull"

// The Rave pull's feeds, for Scope.Feed, PullOptions.Feed and CursorReset.Feed.
const (
	FeedAudit   = ravepull.FeedAudit
	FeedDataset = ravepull.FeedDataset
)

// ravePullEngine registers the Rave pull: one service per configured study (or the one the scope
// names), polling at [rave] poll through the agent's one Rave client.
func ravePullEngine() Engine {
	return Engine{
		Name:    EngineRavePull,
		Title:   "Rave pull",
		Section: "[rave] with at least one [[rave.study]]",
		Configured: func(cfg *config.Config) bool {
			return cfg.Rave != nil && len(cfg.Rave.Studies) > 0
		},
		Services: func(a *Agent, cfg *config.Config, sc Scope) ([]ServiceSpec, error) {
			if err := checkFeed(sc.Feed); err != nil {
				return nil, err
			}
			studies, err := selectStudies(cfg.Rave, sc.Study, sc.Site)
			if err != nil {
				return nil, err
			}
			var specs []ServiceSpec
			for _, st := range studies {
				name := "Rave pull " + st.OID
				if sc.Site != "" {
					name += " site " + sc.Site
				}
				if sc.Feed != "" {
					name += " (" + sc.Feed + ")"
				}
				specs = append(specs, ServiceSpec{
					Name: name, Engine: EngineRavePull, Subject: st.OID, Remote: RemoteRave,
					Credentials: []string{raveCredential(cfg.Rave)}, Every: cfg.Rave.Poll,
					Run: func(ctx context.Context) (Summary, error) {
						res, err := a.pullStudy(ctx, st, sc.Feed, cfg.Rave.PageSize, nil)
						if res.Written > 0 {
							a.Kick(EngineSubjects) // arms just pulled are looked at now, not a poll later
						}
						return pullSummary(res), err
					},
				})
			}
			return specs, nil
		},
	}
}

// PullOptions narrow a pull to one study or one site; empty means everything configured.
type PullOptions struct {
	Study, Site string
	// Feed is ravepull.FeedAudit or ravepull.FeedDataset to pull only that feed; empty pulls both.
	Feed     string
	Progress func(ravepull.Progress)
}

// PullResult is one study's outcome.
type PullResult struct {
	Study string
	ravepull.Result
	Err error
}

// Pull runs the Rave pull once for the configured studies (or the one asked for), through the same
// client as the services. A study that fails does not stop the others; the joined error names each
// failure.
func (a *Agent) Pull(ctx context.Context, o PullOptions) ([]PullResult, error) {
	cfg, studies, err := a.raveStudies(o.Feed, o.Study, o.Site)
	if err != nil {
		return nil, err
	}
	var out []PullResult
	var errs []error
	for _, st := range studies {
		res, err := a.pullStudy(ctx, st, o.Feed, cfg.Rave.PageSize, o.Progress)
		out = append(out, PullResult{Study: st.OID, Result: res, Err: err})
		if err != nil {
			a.log.Error().Err(err).Str("study", st.OID).Msg("pull failed")
			errs = append(errs, err)
		} else {
			a.log.Info().Str("study", st.OID).Int("pages", res.Pages).Int("rows", res.Rows).Int("written", res.Written).
				Int("quarantined", res.Quarantined).Msg("pull done")
		}
		if IsFatal(err) {
			break // the same for every study: a credential, the store
		}
	}
	a.refreshAudit(ctx)
	return out, errors.Join(errs...)
}

// pullStudy pulls one study's feeds (or the one named) once, holding the study's lock so that a
// cursor reset cannot cross it.
func (a *Agent) pullStudy(ctx context.Context, st ravepull.Study, feed string, pageSize int, progress func(ravepull.Progress)) (ravepull.Result, error) {
	client, err := a.rave.get(ctx)
	if err != nil {
		return ravepull.Result{}, err
	}
	db, err := a.Store(ctx)
	if err != nil {
		return ravepull.Result{}, err
	}
	unlock, err := a.studies.lock(ctx, st.OID)
	if err != nil {
		return ravepull.Result{}, err
	}
	defer unlock()
	eng := ravepull.New(ravepull.Options{DB: db, Source: client, Log: a.log, RunID: a.runID, PageSize: pageSize, Progress: progress})
	switch feed {
	case ravepull.FeedAudit:
		return eng.PullAudit(ctx, st)
	case ravepull.FeedDataset:
		return eng.PullDataset(ctx, st)
	}
	return eng.Pull(ctx, st)
}

// pullSummary puts a pull's counts in words and figures.
func pullSummary(r ravepull.Result) Summary {
	p := message.NewPrinter(language.English)
	return Summary{
		Text: p.Sprintf("%d pages, %d rows read, %d written, %d quarantined", r.Pages, r.Rows, r.Written, r.Quarantined),
		Figures: []Figure{{"pages", r.Pages}, {"rows", r.Rows}, {"written", r.Written},
			{"quarantined", r.Quarantined}},
	}
}

func checkFeed(feed string) error {
	if feed != "" && feed != ravepull.FeedAudit && feed != ravepull.FeedDataset {
		return fmt.Errorf("feed %q: want %s or %s (or none for both)", feed, ravepull.FeedAudit, ravepull.FeedDataset)
	}
	return nil
}

func errNoRave(cfg *config.Config) error {
	return fmt.Errorf("%s: no [rave] section: nothing to pull", cfg.Path)
}

// raveStudies checks a feed name and selects the configured studies (all, or the one and site named)
// for a pull or a reset, with the configuration they come from.
func (a *Agent) raveStudies(feed, study, site string) (*config.Config, []ravepull.Study, error) {
	if err := checkFeed(feed); err != nil {
		return nil, nil, err
	}
	cfg, err := a.Config()
	if err != nil {
		return nil, nil, err
	}
	if cfg.Rave == nil {
		return nil, nil, errNoRave(cfg)
	}
	studies, err := selectStudies(cfg.Rave, study, site)
	return cfg, studies, err
}

func selectStudies(r *config.Rave, study, site string) ([]ravepull.Study, error) {
	var out []ravepull.Study
	for _, s := range r.Studies {
		if study != "" && s.OID != study {
			continue
		}
		st := ravepull.Study{OID: s.OID, Sites: s.Sites}
		if site != "" {
			if len(s.Sites) > 0 && !slices.Contains(s.Sites, site) {
				continue
			}
			st.Sites = []string{site}
		}
		out = append(out, st)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no configured study matches --study %q --site %q", study, site)
	}
	return out, nil
}
