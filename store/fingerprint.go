package store

import (
	"crypto/sha256"
	"encoding/hex"
)

// Fingerprint names a secret without revealing it: the first 12 hex digits of its SHA-256. It is the
// most of a credential that may appear in a log line, an audit entry or an error message.
func Fingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:6])
}
