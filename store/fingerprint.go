package store

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// A fingerprint names a credential in a log line, an audit entry or an error message without revealing
// it: the first 12 hex digits of HMAC-SHA256 under a 32-byte key of this install, kept only in the OS
// keyring. An unkeyed hash would not do: anyone holding a log or an audit export could hash a
// dictionary and find a short password in a fraction of a second. With the key, two mentions of one
// credential still match (so a person can tell which credential failed, or that it changed), and
// nothing can be guessed without the keyring.

var fingerprintLabel = []byte("trialsync credential fingerprint v1\x00")

// fingerprintKeyName is the keyring entry holding the install's fingerprint key.
func (db *DB) fingerprintKeyName() string { return "audit." + db.installID + ".fingerprint" }

// Fingerprint returns the keyed fingerprint of secret: 12 hex digits. It returns "" when this store has
// no fingerprint key, which happens only in a read-only open of a store made before fingerprints were
// keyed; callers then mention the credential by name alone.
func (db *DB) Fingerprint(secret string) string {
	if db.fpKey == nil {
		return ""
	}
	m := hmac.New(sha256.New, db.fpKey)
	m.Write(fingerprintLabel)
	m.Write([]byte(secret))
	return hex.EncodeToString(m.Sum(nil)[:6])
}

// loadFingerprintKey fetches the fingerprint key, creating it when the keyring says it does not exist
// and the store is opened for writing. Only "not found" means missing: any other keyring failure
// fails closed, and no key is made because a keyring was locked or slow.
func (db *DB) loadFingerprintKey() error {
	name := db.fingerprintKeyName()
	v, err := db.keyring.Get(name)
	switch {
	case errors.Is(err, ErrSecretNotFound):
		if db.readOnly {
			return nil
		}
		key, err := newKey(db.keyring, name)
		if err != nil {
			return fmt.Errorf("store %s: creating the fingerprint key: %w", db.path, err)
		}
		db.fpKey = key
		return nil
	case err != nil:
		return fmt.Errorf("store %s: fingerprint key: %w", db.path, err)
	}
	key, err := hex.DecodeString(v)
	if err != nil || len(key) != 32 {
		return fmt.Errorf("store %s: the fingerprint key in the keyring is malformed", db.path)
	}
	db.fpKey = key
	return nil
}

// newKey makes a random 32-byte key and stores it, hex-encoded, in the keyring under name.
func newKey(kr Keyring, name string) ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := kr.Set(name, hex.EncodeToString(key)); err != nil {
		return nil, err
	}
	return key, nil
}
