package rws

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

// TestTokenRotatesBeforeExpiry: tokens that live exactly the 60 s refresh margin are due as soon as
// they arrive, so each request replaces its token before using it (proactively, a full minute
// before the server would refuse it): the rotation callback fires with a new fingerprint each time
// and the simulator never sees an expired token.
func TestTokenRotatesBeforeExpiry(t *testing.T) {
	s := startSim(t, simrws.Options{TokenTTL: 60 * time.Second})
	o := s.Options()
	var fps []string
	cfg := testConfig(s, &waits{})
	cfg.Auth = OAuth2ClientCredentials(s.TokenURL(), o.ClientID, o.ClientSecret)
	cfg.OnTokenRotated = func(fp string) { fps = append(fps, fp) }
	cfg.Fingerprint = func(s string) string { h := sha256.Sum256([]byte("test key" + s)); return hex.EncodeToString(h[:6]) }
	c := newClient(t, cfg)
	for range 3 {
		if _, err := c.Studies(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if len(fps) != 3 || s.Count("token") != 3 || s.Count("401") != 0 {
		t.Fatalf("%d rotations, %d tokens issued, %d refusals", len(fps), s.Count("token"), s.Count("401"))
	}
	hex12 := regexp.MustCompile(`^[0-9a-f]{12}$`)
	for i, fp := range fps {
		if !hex12.MatchString(fp) {
			t.Errorf("fingerprint %q is not 12 hex digits", fp)
		}
		if i > 0 && fp == fps[i-1] {
			t.Errorf("rotation %d reported the same fingerprint", i)
		}
	}
}

// TestTokenReusedWhileFresh: a long-lived token is fetched once and reused.
func TestTokenReusedWhileFresh(t *testing.T) {
	s := startSim(t, simrws.Options{})
	o := s.Options()
	rotations := 0
	cfg := testConfig(s, &waits{})
	cfg.Auth = OAuth2ClientCredentials(s.TokenURL(), o.ClientID, o.ClientSecret)
	cfg.OnTokenRotated = func(string) { rotations++ }
	c := newClient(t, cfg)
	for range 4 {
		if _, err := c.Version(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Studies(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if rotations != 1 || s.Count("token") != 1 {
		t.Fatalf("%d rotations, %d tokens", rotations, s.Count("token"))
	}
}

// TestSecretsStayOut: failed Basic logins, a lock-out and a refused client secret leave no trace of
// the secret in errors or logs, in any of the spellings a careless line could use.
func TestSecretsStayOut(t *testing.T) {
	const badPassword = "pa\"ss\\w/rd+é 7 X-sa-3f9c1e0b"
	const badSecret = "cs-9d8c7b6a5f4e3d2c1b0a"
	s := startSim(t, simrws.Options{MaxBadLogins: 2})
	var logs bytes.Buffer
	lg := zerolog.New(&logs).Level(zerolog.DebugLevel)
	var msgs []string

	basic := testConfig(s, &waits{})
	basic.Auth = BasicAuth(s.Options().User, badPassword)
	basic.Logger = lg
	c := newClient(t, basic)
	for i := range 3 {
		_, err := c.Studies(t.Context())
		if err == nil {
			t.Fatal("bad password accepted")
		}
		msgs = append(msgs, err.Error(), strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", " ")), " "))
		want := ErrUnauthorized
		if i == 2 {
			want = ErrLockedOut
		}
		if !errors.Is(err, want) || Retryable(err) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if s.Count("401") != 3 {
		t.Fatalf("bad login sent %d times, want once per call (never retried)", s.Count("401"))
	}

	oc := testConfig(s, &waits{})
	oc.Auth = OAuth2ClientCredentials(s.TokenURL(), s.Options().ClientID, badSecret)
	oc.Logger = lg
	c = newClient(t, oc)
	_, err := c.Studies(t.Context())
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("bad client secret: %v", err)
	}
	msgs = append(msgs, err.Error())

	all := logs.String() + "\n" + strings.Join(msgs, "\n")
	for _, secret := range []string{badPassword, badSecret} {
		for name, form := range map[string]string{
			"raw":          secret,
			"quoted":       strconv.Quote(secret),
			"url query":    url.QueryEscape(secret),
			"basic header": base64.StdEncoding.EncodeToString([]byte(s.Options().User + ":" + secret)),
			"client basic": base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(s.Options().ClientID) + ":" + url.QueryEscape(secret))),
			"tail":         secret[len(secret)-8:],
		} {
			if strings.Contains(all, form) {
				t.Errorf("secret leaked (%s form) into: %s", name, all)
			}
		}
	}
}

// TestStalledTokenEndpoint: a token endpoint that never answers costs one attempt timeout, not a
// hung pull.
func TestStalledTokenEndpoint(t *testing.T) {
	release := make(chan struct{})
	stalled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(stalled.Close)
	t.Cleanup(func() { close(release) }) // runs first: the handlers return, then the server closes
	s := startSim(t, simrws.Options{})
	cfg := testConfig(s, &waits{})
	cfg.Auth = OAuth2ClientCredentials(stalled.URL, "id", "secret")
	cfg.Timeout = 100 * time.Millisecond
	cfg.Retry.MaxAttempts = 2
	c := newClient(t, cfg)
	_, err := c.Studies(t.Context())
	if err == nil || !Retryable(err) || s.Requests() != 0 {
		t.Fatalf("err %v (retryable %v), %d requests reached RWS", err, Retryable(err), s.Requests())
	}
}
