package agent

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/config"
	"github.com/trialsync/trialsync/sync/ravepull"
	"github.com/trialsync/trialsync/sync/rws"
)

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

// Pull runs the Rave pull once for the configured studies (or the one asked for). A study that fails
// does not stop the others; the joined error names each failure.
func (a *Agent) Pull(ctx context.Context, o PullOptions) ([]PullResult, error) {
	eng, studies, err := a.pullEngine(ctx, o)
	if err != nil {
		return nil, err
	}
	var out []PullResult
	var errs []error
	for _, st := range studies {
		var res ravepull.Result
		switch o.Feed {
		case ravepull.FeedAudit:
			res, err = eng.PullAudit(ctx, st)
		case ravepull.FeedDataset:
			res, err = eng.PullDataset(ctx, st)
		default:
			res, err = eng.Pull(ctx, st)
		}
		out = append(out, PullResult{Study: st.OID, Result: res, Err: err})
		if err != nil {
			a.log.Error().Err(err).Str("study", st.OID).Msg("pull failed")
			errs = append(errs, err)
		} else {
			a.log.Info().Str("study", st.OID).Int("pages", res.Pages).Int("rows", res.Rows).Int("written", res.Written).
				Int("quarantined", res.Quarantined).Msg("pull done")
		}
	}
	return out, errors.Join(errs...)
}

// pullEngine builds the pull engine (RWS client, store) and the studies the options select.
func (a *Agent) pullEngine(ctx context.Context, o PullOptions) (*ravepull.Engine, []ravepull.Study, error) {
	cfg, err := a.Config()
	if err != nil {
		return nil, nil, err
	}
	if cfg.Rave == nil {
		return nil, nil, fmt.Errorf("%s: no [rave] section: nothing to pull", cfg.Path)
	}
	studies, err := selectStudies(cfg.Rave, o.Study, o.Site)
	if err != nil {
		return nil, nil, err
	}
	client, err := a.raveClient(ctx, cfg.Rave)
	if err != nil {
		return nil, nil, err
	}
	db, err := a.Store(ctx)
	if err != nil {
		return nil, nil, err
	}
	eng := ravepull.New(ravepull.Options{DB: db, Source: client, Log: a.log, RunID: a.runID, PageSize: cfg.Rave.PageSize, Progress: o.Progress})
	return eng, studies, nil
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

// raveClient builds the RWS client from [rave] and the keyring. Token rotations are audited with the
// token's fingerprint only.
func (a *Agent) raveClient(ctx context.Context, r *config.Rave) (*rws.Client, error) {
	var auth rws.Auth
	switch r.Auth {
	case config.AuthOAuth2:
		secret, err := a.Credential("rave.client_secret")
		if err != nil {
			return nil, err
		}
		auth = rws.OAuth2ClientCredentials(r.TokenURL, r.ClientID, secret)
	default:
		pw, err := a.Credential("rave.password")
		if err != nil {
			return nil, err
		}
		auth = rws.BasicAuth(r.User, pw)
	}
	return rws.New(rws.Config{
		BaseURL: r.URL,
		Auth:    auth,
		Logger:  a.log,
		OnTokenRotated: func(fp string) {
			_, err := a.Record(context.WithoutCancel(ctx), store.Entry{Action: "rws.token.rotated", Object: r.URL,
				New: "sha256:" + fp, Reason: "OAuth2 access token renewed"})
			if err != nil {
				a.log.Error().Err(err).Msg("auditing a token rotation")
			}
		},
	})
}
