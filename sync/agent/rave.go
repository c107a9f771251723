package agent

import (
	"context"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/config"
	"github.com/trialsync/trialsync/sync/rws"
)

// RemoteRave is the agent's name for Rave Web Services, as ServiceSpec.Remote and RemoteState.Name.
const RemoteRave = "rave"

// raveCredential is the keyring entry [rave] authenticates with.
func raveCredential(r *config.Rave) string {
	if r.Auth == config.AuthOAuth2 {
		return "rave.client_secret"
	}
	return "rave.password"
}

// newRaveClient builds the agent's one RWS client from [rave] and the keyring; every engine that
// talks to Rave shares it (a.rave), and with it the breaker and the rate limit. Token rotations are
// audited with the token's fingerprint only.
func (a *Agent) newRaveClient(ctx context.Context) (*rws.Client, string, error) {
	cfg, err := a.Config()
	if err != nil {
		return nil, "", err
	}
	r := cfg.Rave
	if r == nil {
		return nil, "", Fatal(errNoRave(cfg))
	}
	secret, err := a.Credential(raveCredential(r))
	if err != nil {
		return nil, "", err
	}
	auth := rws.BasicAuth(r.User, secret)
	if r.Auth == config.AuthOAuth2 {
		auth = rws.OAuth2ClientCredentials(r.TokenURL, r.ClientID, secret)
	}
	db, err := a.Store(ctx)
	if err != nil {
		return nil, "", err
	}
	c, err := rws.New(rws.Config{
		BaseURL:           r.URL,
		Auth:              auth,
		RequestsPerSecond: r.RequestsPerSecond, // 0: the client's default
		Logger:            a.log,
		Fingerprint:       db.Fingerprint,
		OnTokenRotated: func(fp string) {
			_, err := a.Record(context.WithoutCancel(ctx), store.Entry{Actor: store.ActorAgent, Action: store.ActionTokenRotated, Object: r.URL,
				New: "hmac:" + fp, Reason: "OAuth2 access token renewed"})
			if err != nil {
				a.log.Error().Err(err).Msg("auditing a token rotation")
			}
		},
	})
	if err != nil {
		return nil, "", Fatal(err) // a configuration that can never work
	}
	return c, c.BaseURL(), nil
}
