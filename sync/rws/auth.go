package rws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// earlyRefresh is how long before its stated expiry an access token is replaced.
const earlyRefresh = 60 * time.Second

// Auth authorises requests. Build one with BasicAuth, OAuth2ClientCredentials or OAuth2TokenSource;
// the secrets it holds are never logged and never appear in errors.
type Auth interface {
	// bind prepares the auth for one client: the HTTP client for token requests, the rotation callback
	// and the fingerprint it reports tokens by (nil: none).
	bind(hc *http.Client, onRotate func(string), fingerprint func(string) string, timeout time.Duration) Auth
	// authorize sets the Authorization header.
	authorize(req *http.Request) error
	// refused tells the auth its credentials were just refused; it reports whether a fresh attempt
	// with new credentials makes sense (true for an access token that can be fetched anew).
	refused() bool
}

// BasicAuth authorises with HTTP Basic, as a Rave service account does.
func BasicAuth(user, password string) Auth { return &basicAuth{user: user, password: password} }

type basicAuth struct{ user, password string }

func (a *basicAuth) bind(*http.Client, func(string), func(string) string, time.Duration) Auth {
	return a
}
func (a *basicAuth) authorize(req *http.Request) error {
	req.SetBasicAuth(a.user, a.password)
	return nil
}
func (a *basicAuth) refused() bool { return false }

// String keeps the password out of any accidental formatting.
func (a *basicAuth) String() string { return fmt.Sprintf("basic(%s)", a.user) }

// OAuth2ClientCredentials authorises with bearer tokens from an OAuth2 token endpoint (client
// credentials grant). Tokens are replaced 60 s before they expire, and at once when RWS refuses one.
func OAuth2ClientCredentials(tokenURL, clientID, clientSecret string, scopes ...string) Auth {
	cc := &clientcredentials.Config{ClientID: clientID, ClientSecret: clientSecret, TokenURL: tokenURL, Scopes: scopes}
	return &bearerAuth{fetch: func(ctx context.Context) (*oauth2.Token, error) { return cc.Token(ctx) }}
}

// OAuth2TokenSource authorises with tokens from src; src should fetch a new token on every call
// (the client caches and rotates them itself).
func OAuth2TokenSource(src oauth2.TokenSource) Auth {
	return &bearerAuth{fetch: func(context.Context) (*oauth2.Token, error) { return src.Token() }}
}

type bearerAuth struct {
	fetch       func(ctx context.Context) (*oauth2.Token, error)
	ctx         context.Context // carries the HTTP client for token requests
	timeout     time.Duration   // bounds one token request
	onRotate    func(string)
	fingerprint func(string) string // nil: rotations are reported without one

	mu   sync.Mutex
	src  oauth2.TokenSource // caching source, replaced when a token is refused
	last string             // the token last used
}

func (a *bearerAuth) bind(hc *http.Client, onRotate func(string), fingerprint func(string) string, timeout time.Duration) Auth {
	b := &bearerAuth{fetch: a.fetch, onRotate: onRotate, fingerprint: fingerprint, timeout: timeout}
	b.ctx = context.WithValue(context.Background(), oauth2.HTTPClient, hc)
	b.src = b.newSource()
	return b
}

// newSource wraps the fetcher in oauth2's reusing source with a 60 s early expiry: that is the
// proactive rotation.
func (a *bearerAuth) newSource() oauth2.TokenSource {
	return oauth2.ReuseTokenSourceWithExpiry(nil, fetcher{a}, earlyRefresh)
}

type fetcher struct{ a *bearerAuth }

// Token fetches a new token, within the attempt timeout; the reusing source around it decides when.
func (f fetcher) Token() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(f.a.ctx, f.a.timeout)
	defer cancel()
	return f.a.fetch(ctx)
}

func (a *bearerAuth) authorize(req *http.Request) error {
	a.mu.Lock()
	src := a.src
	a.mu.Unlock()
	tok, err := src.Token()
	if err != nil {
		return tokenError(err)
	}
	if tok.AccessToken == "" {
		return &Error{Op: "token", Message: "token endpoint returned no access token", Err: ErrUnauthorized}
	}
	a.mu.Lock()
	rotated := tok.AccessToken != a.last
	a.last = tok.AccessToken
	a.mu.Unlock()
	if rotated && a.onRotate != nil {
		fp := ""
		if a.fingerprint != nil {
			fp = a.fingerprint(tok.AccessToken)
		}
		a.onRotate(fp)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return nil
}

func (a *bearerAuth) refused() bool {
	a.mu.Lock()
	a.src = a.newSource()
	a.mu.Unlock()
	return true
}

// tokenError turns a token-endpoint failure into an *Error without the endpoint's body (which could
// echo what was sent) and with a retry classification.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		st := re.Response.StatusCode
		msg := "token endpoint refused the client credentials"
		if re.ErrorCode != "" {
			msg += " (" + re.ErrorCode + ")"
		}
		return &Error{Op: "token", Status: st, Message: msg, Retryable: st == 429 || st >= 500}
	}
	return &Error{Op: "token", Message: "token request failed", Err: err, Retryable: isTransport(err)}
}
