package store_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/store/storetest"
)

var hex12 = regexp.MustCompile(`^[0-9a-f]{12}$`)

// TestFingerprintIsKeyed: a fingerprint still tells credentials apart and names one consistently
// across runs, but without the install's key nothing can be matched against it: the offline guess that
// gave back a short password from an unsalted SHA-256 finds nothing.
func TestFingerprintIsKeyed(t *testing.T) {
	kr := storetest.NewKeyring(t)
	path := filepath.Join(t.TempDir(), "trialsync.db")
	db := storetest.OpenAt(t, path, store.Options{Keyring: kr})
	const secret = "rave2024"
	fp := db.Fingerprint(secret)
	if !hex12.MatchString(fp) || fp == db.Fingerprint("rave2025") {
		t.Fatalf("fingerprints %q / %q", fp, db.Fingerprint("rave2025"))
	}
	db.Close()
	if again := storetest.OpenAt(t, path, store.Options{Keyring: kr}).Fingerprint(secret); again != fp {
		t.Fatalf("the same credential fingerprinted %q, then %q after a reopen", fp, again)
	}
	if other := storetest.Open(t, store.Options{Keyring: kr}).Fingerprint(secret); other == fp {
		t.Fatal("two installs fingerprint a credential alike: the key is not per install")
	}

	// The attacker's side: a dictionary that holds the password, hashed the way fingerprints were.
	for _, guess := range []string{"password", "rave2023", "rave2024", "rave2025", "trialsync"} {
		sum := sha256.Sum256([]byte(guess))
		for _, n := range []int{6, 32} {
			if h := hex.EncodeToString(sum[:n]); strings.HasPrefix(h, fp) {
				t.Fatalf("guess %q matches the fingerprint without the key", guess)
			}
		}
	}
}

// failingKeyring fails every read of names with the given suffix with a keyring error other than
// "not found", and records every write.
type failingKeyring struct {
	store.Keyring
	suffix string
	writes []string
}

func (k *failingKeyring) Get(name string) (string, error) {
	if strings.HasSuffix(name, k.suffix) {
		return "", fmt.Errorf("credential %s: %w: locked", name, store.ErrKeyringUnavailable)
	}
	return k.Keyring.Get(name)
}

func (k *failingKeyring) Set(name, v string) error {
	k.writes = append(k.writes, name)
	return k.Keyring.Set(name, v)
}

// TestFingerprintKeyLifecycle: the key is made with the store; a store made before keyed fingerprints
// gets one when opened for writing, not when opened read-only (which then names credentials without a
// fingerprint); a keyring that fails otherwise than "not found" fails the open and makes no key.
func TestFingerprintKeyLifecycle(t *testing.T) {
	db, kr := storetest.OpenToDamage(t)
	path := db.Path()
	name := "audit." + db.InstallID() + ".fingerprint"
	if v, err := kr.Get(name); err != nil || len(v) != 64 {
		t.Fatalf("fingerprint key after creation: %q %v", v, err)
	}
	db.Close()

	kr.Delete(name) // as a store made by an earlier trialsync
	ro, err := store.Open(t.Context(), path, store.Options{Keyring: kr, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if fp := ro.Fingerprint("x"); fp != "" {
		t.Fatalf("read-only open without a key fingerprints %q", fp)
	}
	ro.Close()
	if _, err := kr.Get(name); !errors.Is(err, store.ErrSecretNotFound) {
		t.Fatalf("a read-only open made a key: %v", err)
	}

	locked := &failingKeyring{Keyring: kr, suffix: ".fingerprint"}
	_, err = store.Open(t.Context(), path, store.Options{Keyring: locked})
	if !errors.Is(err, store.ErrKeyringUnavailable) || !strings.Contains(err.Error(), "fingerprint key") {
		t.Fatalf("open with the keyring failing: %v", err)
	}
	for _, w := range locked.writes {
		if strings.HasSuffix(w, ".fingerprint") {
			t.Fatal("a fingerprint key was made although the keyring only failed to answer")
		}
	}

	db, err = store.Open(t.Context(), path, store.Options{Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if !hex12.MatchString(db.Fingerprint("x")) {
		t.Fatal("no key made for an older store opened for writing")
	}
}

// TestFingerprintKeyIsRedacted: the keyring hands the fingerprint key to the redactor like every
// secret (the audit key too); the public entries (checkpoint copies, store paths) it does not.
func TestFingerprintKeyIsRedacted(t *testing.T) {
	var seen []string
	kr := store.NewSystemKeyring("trialsync-test-observe-"+t.Name(), func(s string) { seen = append(seen, s) })
	db := storetest.Open(t, store.Options{Keyring: kr})
	key, err := kr.Get("audit." + db.InstallID() + ".fingerprint")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range seen {
		found = found || s == key
		if strings.HasPrefix(s, "v1 ") || s == db.InstallID() {
			t.Errorf("a public value was handed to the redactor: %q", s)
		}
	}
	if !found {
		t.Fatal("the fingerprint key was never shown to the redactor")
	}
}
