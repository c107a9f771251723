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
	// ErrDamaged means bbolt's consistency check failed, or the file is shorter than its header says,
	// or bbolt met a page it could not read; the file is refused rather than half-used.
	ErrDamaged = errors.New("damaged")
	// ErrReadOnly means the store cannot be written: opened with Options.ReadOnly, or the file is not
	// writable. Reading commands still work.
	ErrReadOnly = errors.New("read-only")
	// ErrNoStore means a read-only open found no store, and the keyring remembers none at that path:
	// nothing has been recorded yet. (A store the keyring remembers is reported as a StoreMissing
	// *Problem instead.)
	ErrNoStore = errors.New("no store here yet: the first command that records something (trialsync pull, creds set) creates it")
	// ErrSecretNotFound is the only keyring answer that means "no such entry".
	ErrSecretNotFound = errors.New("not set")
	// ErrKeyringUnavailable means the OS keyring could not be asked (absent, locked, timed out). Callers
	// fail closed: nothing is regenerated or written elsewhere because of it.
	ErrKeyringUnavailable = errors.New("OS keyring unavailable")
	// ErrAuditKeyMissing means the audit key of this store is not in the keyring, so entries can be
	// neither written nor verified.
	ErrAuditKeyMissing = errors.New("audit key missing from the OS keyring")
)
