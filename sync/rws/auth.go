package rws

import (
	"golang.org/x/oauth2"

	"github.com/trialsync/trialsync/sync/remote"
)

// BasicAuth authorises with HTTP Basic, as a Rave service account does (remote.Basic).
func BasicAuth(user, password string) Auth { return remote.Basic(user, password) }

// OAuth2ClientCredentials authorises with bearer tokens from an OAuth2 token endpoint (client
// credentials grant); see remote.OAuth2ClientCredentials.
func OAuth2ClientCredentials(tokenURL, clientID, clientSecret string, scopes ...string) Auth {
	return remote.OAuth2ClientCredentials(tokenURL, clientID, clientSecret, scopes...)
}

// OAuth2TokenSource authorises with tokens from src; see remote.OAuth2TokenSource.
func OAuth2TokenSource(src oauth2.TokenSource) Auth { return remote.OAuth2TokenSource(src) }
