package logging

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func TestRedactShortSecretsIgnored(t *testing.T) {
	r := newTestRedactor()
	r.Add("")
	r.Add("abc")
	r.Add("abcd")
	tests := []struct{ in, want string }{
		{"abc and ab", "abc and ab"},
		{"key abcd!", "key " + r.Label("abcd") + "!"},
		{"xabcdx", "x" + r.Label("abcd") + "x"},
	}
	for _, tt := range tests {
		if got := r.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactWithoutSecrets(t *testing.T) {
	r := NewRedactor()
	var buf bytes.Buffer
	w := r.Writer(&buf)
	if n, err := w.Write([]byte("plain line\n")); n != 11 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if buf.String() != "plain line\n" || r.Redact("x") != "x" {
		t.Errorf("output changed without secrets: %q", buf.String())
	}
}

// A longer secret containing a shorter one is replaced whole, by its own label.
func TestRedactOverlappingSecrets(t *testing.T) {
	r := newTestRedactor()
	r.Add("token-1234")
	r.Add("token-1234-extended")
	got := r.Redact("a=token-1234-extended b=token-1234")
	want := "a=" + r.Label("token-1234-extended") + " b=" + r.Label("token-1234")
	if got != want {
		t.Errorf("Redact = %q, want %q", got, want)
	}
}

// Property: a random secret, base64-encoded inside a value with a random prefix and suffix (as in
// user:password), is redacted so that no run of the secret-only characters survives. The seed is
// logged on failure.
func TestRedactEmbeddedBase64(t *testing.T) {
	seed := uint64(20261123)
	rng := rand.New(rand.NewPCG(seed, seed))
	randBytes := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return b
	}
	for i := range 500 {
		secret := string(randBytes(MinSecretLen + rng.IntN(40)))
		prefix, suffix := randBytes(rng.IntN(7)), randBytes(rng.IntN(7))
		enc := []*base64.Encoding{base64.StdEncoding, base64.URLEncoding}[rng.IntN(2)]
		encoded := enc.EncodeToString([]byte(string(prefix) + secret + string(suffix)))

		r := newTestRedactor()
		r.Add(secret)
		out := r.Redact("v=" + encoded + ";")

		label := r.Label(secret)
		if !strings.Contains(out, label) {
			t.Fatalf("seed %d case %d: %q (prefix %d, suffix %d bytes) not redacted: %s", seed, i, encoded, len(prefix), len(suffix), out)
		}
		// at most one mixed character on each side of the label beyond the prefix's and suffix's own
		before := out[len("v="):strings.Index(out, label)]
		after := strings.TrimRight(out[strings.Index(out, label)+len(label):len(out)-1], "=")
		if maxBefore := (len(prefix)*8 + 5) / 6; len(before) > maxBefore {
			t.Fatalf("seed %d case %d: %d characters left before the label, at most %d expected: %s", seed, i, len(before), maxBefore, out)
		}
		if maxAfter := (len(suffix)*8+5)/6 + 1; len(after) > maxAfter {
			t.Fatalf("seed %d case %d: %d characters left after the label, at most %d expected: %s", seed, i, len(after), maxAfter, out)
		}
	}
}

// Add may run while other goroutines write through the Redactor (run with -race).
func TestRedactConcurrent(t *testing.T) {
	r := NewRedactor()
	var mu sync.Mutex
	var buf bytes.Buffer
	w := r.Writer(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}))
	secrets := make([]string, 50)
	for i := range secrets {
		secrets[i] = fmt.Sprintf("concurrent-secret-%03d", i)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for _, s := range secrets {
			r.Add(s)
		}
	})
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				fmt.Fprintf(w, "g%d line %d\n", g, i)
			}
		})
	}
	wg.Wait()
	for _, s := range secrets {
		fmt.Fprintf(w, "late %s\n", s)
	}
	if out := buf.String(); strings.Contains(out, "concurrent-secret-") {
		t.Errorf("a registered secret was written after registration")
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// testFingerprint stands in for the store's keyed fingerprint (logging never opens the keyring).
func testFingerprint(secret string) string {
	m := hmac.New(sha256.New, []byte("logging tests' fingerprint key"))
	m.Write([]byte(secret))
	return hex.EncodeToString(m.Sum(nil)[:6])
}

func newTestRedactor() *Redactor {
	r := NewRedactor()
	r.SetFingerprint(testFingerprint)
	return r
}

// TestRedactPercentEncodings: a password with a space and characters encoders treat differently is
// redacted in every percent-encoding a URL, a form body or a client library gives it, including
// QueryEscape's spelling with %20 for the space, which used to get through.
func TestRedactPercentEncodings(t *testing.T) {
	const pw = `Pa55 w/rd+é&"q=1`
	encodings := []struct{ name, enc string }{
		{"query", url.QueryEscape(pw)},
		{"path", url.PathEscape(pw)},
		{"query with %20", strings.ReplaceAll(url.QueryEscape(pw), "+", "%20")},
		{"lower-case hex", lowerPercent(strings.ReplaceAll(url.QueryEscape(pw), "+", "%20"))},
		{"mixed-case hex", "Pa55%20w%2frd%2B%c3%A9%26%22q%3D1"},
		{"userinfo", strings.TrimPrefix(url.UserPassword("rws", pw).String(), "rws:")},
		{"only the space escaped", "Pa55%20w/rd+é&\"q=1"},
	}
	r := newTestRedactor()
	r.Add(pw)
	label := r.Label(pw)
	for _, e := range encodings {
		t.Run(e.name, func(t *testing.T) {
			in := "POST /token body=grant_type=password&password=" + e.enc + "&scope=x"
			out := r.Redact(in)
			if strings.Contains(out, e.enc) || !strings.Contains(out, "password="+label+"&scope=x") {
				t.Fatalf("%s form %q not redacted: %s", e.name, e.enc, out)
			}
		})
	}
	// Text that only resembles the password stays as it is.
	for _, s := range []string{"Pa55%20w%2Frd", "Pa55+w/rd+e&q=1", "100%25 done"} {
		if got := r.Redact(s); got != s {
			t.Errorf("Redact(%q) = %q", s, got)
		}
	}
}

// TestLabelsFollowFingerprint: a secret registered before the store (and so the keyed fingerprint) is
// available is redacted at once, labelled [redacted]; once the fingerprint is given, by its fingerprint.
func TestLabelsFollowFingerprint(t *testing.T) {
	r := NewRedactor()
	r.Add("early-secret-1")
	if got := r.Redact("x=early-secret-1"); got != "x=[redacted]" {
		t.Fatalf("before the fingerprint: %q", got)
	}
	r.SetFingerprint(testFingerprint)
	if got, want := r.Redact("x=early-secret-1"), "x=[redacted:"+testFingerprint("early-secret-1")+"]"; got != want {
		t.Fatalf("after the fingerprint: %q, want %q", got, want)
	}
	r.SetFingerprint(func(string) string { return "" }) // a store without a fingerprint key
	if got := r.Redact("x=early-secret-1"); got != "x=[redacted]" {
		t.Fatalf("empty fingerprint: %q", got)
	}
}
