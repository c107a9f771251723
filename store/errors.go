package store

import "errors"

// Errors that callers tell apart. Each is wrapped with the store path or entry name for the message.
var (
	// ErrLocked means another process holds the store open (a second trialsync instance).
	ErrLocked = errors.New("in use by another trialsync")
	// ErrNotStore means the file exists but is not a trialsync store (not bbolt, empty, or foreign).
	ErrNotStore = errors.New("not a trialsync store")
	// ErrNewerSchema means the store was written by a newer trialsync; it is left untouched.
	ErrNewerSchema = errors.New("written by a newer trialsync")
	// ErrDamaged means bbolt's consistency check failed; the file is refused rather than half-used.
	ErrDamaged = errors.New("damaged")
	// ErrSecretNotFound is the only keyring answer that means "no such entry".
	ErrSecretNotFound = errors.New("not set")
	// ErrKeyringUnavailable means the OS keyring could not be asked (absent, locked, timed out). Callers
	// fail closed: nothing is regenerated or written elsewhere because of it.
	ErrKeyringUnavailable = errors.New("OS keyring unavailable")
	// ErrAuditKeyMissing means the audit key of this store is not in the keyring, so entries can be
	// neither written nor verified.
	ErrAuditKeyMissing = errors.New("audit key missing from the OS keyring")
)
