package remote

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
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

// Auth authorises requests. Build one with Basic, Bearer, HeaderToken, OAuth2ClientCredentials or
// OAuth2TokenSource; the secrets it holds are never logged and never appear in errors or in %v.
type Auth interface {
	// bind prepares the auth for one client.
	bind(b binding) Auth
	// authorize sets the credential on req.
	authorize(req *http.Request) error
	// refresh drops a refused access token; it reports whether a new one can be fetched (OAuth2).
	refresh() bool
	// secrets are the credentials as they could come back in a server's words: the password, the token,
	// an Authorization header's encoding of them (see Client.redact).
	secrets() []string
}

// binding is what a client hands its Auth.
type binding struct {
	hc          *http.Client // for token requests
	timeout     time.Duration
	onRotate    func(fingerprint string)
	fingerprint func(string) string
}

// Basic authorises with HTTP Basic, as a Rave service account does.
func Basic(user, password string) Auth { return &basicAuth{user: user, password: password} }

type basicAuth struct{ user, password string }

func (a *basicAuth) bind(binding) Auth { return a }
func (a *basicAuth) authorize(req *http.Request) error {
	req.SetBasicAuth(a.user, a.password)
	return nil
}
func (a *basicAuth) refresh() bool { return false }
func (a *basicAuth) secrets() []string {
	return []string{a.password, base64.StdEncoding.EncodeToString([]byte(a.user + ":" + a.password))}
}

// String and GoString keep the password out of any accidental formatting (%v, %+v, %#v).
func (a *basicAuth) String() string   { return fmt.Sprintf("basic(%s)", a.user) }
func (a *basicAuth) GoString() string { return a.String() }

// Bearer authorises with a static bearer token ("Authorization: Bearer <token>"), as the checklist
// systems expect.
func Bearer(token string) Auth {
	return &headerAuth{name: "Authorization", prefix: "Bearer ", token: token}
}

// HeaderToken authorises with a token in a header of its own, e.g. SureAdhere's
// HeaderToken("MRNIntegrationToken", token).
func HeaderToken(header, token string) Auth {
	return &headerAuth{name: http.CanonicalHeaderKey(header), token: token}
}

type headerAuth struct{ name, prefix, token string }

func (a *headerAuth) bind(binding) Auth { return a }
func (a *headerAuth) authorize(req *http.Request) error {
	req.Header.Set(a.name, a.prefix+a.token)
	return nil
}
func (a *headerAuth) refresh() bool     { return false }
func (a *headerAuth) secrets() []string { return []string{a.token} }

// String and GoString keep the token out of any accidental formatting (%v, %+v, %#v).
func (a *headerAuth) String() string   { return "token in " + a.name }
func (a *headerAuth) GoString() string { return a.String() }

// OAuth2ClientCredentials authorises with bearer tokens from an OAuth2 token endpoint (client
// credentials grant, golang.org/x/oauth2). Tokens are replaced 60 s before they expire, and once when
// the remote refuses one.
func OAuth2ClientCredentials(tokenURL, clientID, clientSecret string, scopes ...string) Auth {
	cc := &clientcredentials.Config{ClientID: clientID, ClientSecret: clientSecret, TokenURL: tokenURL, Scopes: scopes}
	return &tokenAuth{tokenURL: tokenURL, secret: clientSecret, fetch: func(ctx context.Context) (*oauth2.Token, error) { return cc.Token(ctx) }}
}

// OAuth2TokenSource authorises with tokens from src; src should fetch a new token on every call (the
// client caches and rotates them itself).
func OAuth2TokenSource(src oauth2.TokenSource) Auth {
	return &tokenAuth{fetch: func(context.Context) (*oauth2.Token, error) { return src.Token() }}
}

type tokenAuth struct {
	tokenURL string // "" for a caller's token source
	secret   string // the client secret, "" for a caller's token source
	fetch    func(ctx context.Context) (*oauth2.Token, error)
	ctx      context.Context // carries the HTTP client for token requests
	timeout  time.Duration   // bounds one token request
	onRotate func(string)
	print    func(string) string

	mu     sync.Mutex
	src    oauth2.TokenSource // caching source, replaced when a token is refused
	last   string             // fingerprint of the token last used
	access string             // the access token last used
}

// String and GoString keep the client secret and the tokens out of any accidental formatting.
func (a *tokenAuth) String() string   { return "oauth2" }
func (a *tokenAuth) GoString() string { return a.String() }

func (a *tokenAuth) bind(b binding) Auth {
	t := &tokenAuth{tokenURL: a.tokenURL, secret: a.secret, fetch: a.fetch, onRotate: b.onRotate, timeout: b.timeout, print: b.fingerprint}
	t.ctx = context.WithValue(context.Background(), oauth2.HTTPClient, b.hc)
	t.src = t.newSource()
	return t
}

// newSource wraps the fetcher in oauth2's reusing source with a 60 s early expiry: that is the
// proactive rotation.
func (a *tokenAuth) newSource() oauth2.TokenSource {
	return oauth2.ReuseTokenSourceWithExpiry(nil, fetcher{a}, earlyRefresh)
}

type fetcher struct{ a *tokenAuth }

// Token fetches a new token, within the attempt timeout; the reusing source around it decides when.
func (f fetcher) Token() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(f.a.ctx, f.a.timeout)
	defer cancel()
	return f.a.fetch(ctx)
}

func (a *tokenAuth) authorize(req *http.Request) error {
	a.mu.Lock()
	src := a.src
	a.mu.Unlock()
	tok, err := src.Token()
	if err != nil {
		return tokenError(err)
	}
	if tok.AccessToken == "" {
		return &Error{Message: "token endpoint returned no access token", Err: ErrCredentialRejected, fatal: true}
	}
	fp := a.print(tok.AccessToken)
	a.mu.Lock()
	rotated := fp != a.last
	a.last, a.access = fp, tok.AccessToken
	a.mu.Unlock()
	if rotated && a.onRotate != nil {
		a.onRotate(fp)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return nil
}

func (a *tokenAuth) secrets() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return []string{a.secret, a.access}
}

func (a *tokenAuth) refresh() bool {
	a.mu.Lock()
	a.src = a.newSource()
	a.mu.Unlock()
	return true
}

// tokenError turns a token-endpoint failure into an *Error without the endpoint's body (which could
// echo what was sent). A refused client (400/401 invalid_client, unauthorized_client, invalid_grant)
// is fatal: the secret must be replaced; 429 and 5xx may pass.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		st := re.Response.StatusCode
		retryable := st == http.StatusTooManyRequests || st >= 500
		msg := "token endpoint refused the client credentials"
		if retryable {
			msg = "token endpoint could not issue an access token now"
		}
		if re.ErrorCode != "" {
			msg += " (" + Clean(re.ErrorCode) + ")"
		}
		e := &Error{Status: st, Message: msg, Retryable: retryable}
		switch {
		case st == http.StatusUnauthorized, re.ErrorCode == "invalid_client", re.ErrorCode == "unauthorized_client", re.ErrorCode == "invalid_grant":
			e.Err, e.fatal, e.Retryable = ErrCredentialRejected, true, false
		}
		return e
	}
	return &Error{Message: "token request failed", Err: stripURL(err), Retryable: !errors.Is(err, context.Canceled)}
}

// defaultFingerprint identifies an access token in logs and audit entries without revealing it: the
// first 12 hex digits of its SHA-256. Access tokens are long random strings, so this cannot be reversed;
// for anything a person chose, pass a keyed fingerprint in Config.Fingerprint.
func defaultFingerprint(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}
