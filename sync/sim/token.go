package sim

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"
)

// HasToken reports whether r carries want in header, after prefix ("Bearer " for an Authorization
// bearer token; "" for a named header token such as SureAdhere's MRNIntegrationToken). The
// comparison takes constant time.
func HasToken(r *http.Request, header, prefix, want string) bool {
	got, ok := strings.CutPrefix(r.Header.Get(header), prefix)
	if !ok || want == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// Tokens issues and checks the bearer tokens of an OAuth2-style token endpoint. The expire fault
// (Faults.Expire) makes a token stop working before the lifetime it was issued with, as a server
// that revokes tokens early does. It is safe for concurrent use.
type Tokens struct {
	ttl, expire time.Duration
	now         func() time.Time

	mu     sync.Mutex
	issued map[string]tokenInfo
}

type tokenInfo struct {
	stated time.Time // expiry stated when issued
	dies   time.Time // when it actually stops working (earlier under the expire fault)
}

// NewTokens returns an issuer of tokens stated to last ttl; expire > 0 (and below ttl) makes them
// stop working expire after issue.
func NewTokens(ttl, expire time.Duration) *Tokens {
	return &Tokens{ttl: ttl, expire: expire, now: time.Now, issued: map[string]tokenInfo{}}
}

// TTL is the lifetime stated for every token (the expires_in of a token answer).
func (t *Tokens) TTL() time.Duration { return t.ttl }

// Issue returns a new random token.
func (t *Tokens) Issue() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	now := t.now()
	ti := tokenInfo{stated: now.Add(t.ttl), dies: now.Add(t.ttl)}
	if t.expire > 0 && t.expire < t.ttl {
		ti.dies = now.Add(t.expire)
	}
	t.mu.Lock()
	t.issued[tok] = ti
	t.mu.Unlock()
	return tok
}

// Check reports whether tok works now; cutShort is true when it was issued here and stopped
// working before its stated expiry (the expire fault).
func (t *Tokens) Check(tok string) (ok, cutShort bool) {
	t.mu.Lock()
	ti, known := t.issued[tok]
	t.mu.Unlock()
	now := t.now()
	if known && now.Before(ti.dies) {
		return true, false
	}
	return false, known && now.Before(ti.stated)
}
