package agent

import (
	"errors"
	"fmt"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/config"
	httpremote "github.com/trialsync/trialsync/sync/remote"
	"github.com/trialsync/trialsync/sync/rws"
)

// How a service's failed run is handled, as syncthing's svcutil classes errors.
type verdict int

const (
	// retry: something that may pass (a 503, a cut connection); run again after a backoff.
	retry verdict = iota
	// offline: the remote cannot be reached at all; wait until it answers again, spending nothing.
	offline
	// fatal: no retry can fix it (the store rolled back, the audit key missing, a configuration that
	// cannot work, a credential missing or rejected); the service stops and shows why.
	fatal
)

// offlineMarker is how a remote's client says the remote cannot be reached: Ready is closed once it
// answers again.
type offlineMarker interface{ Ready() <-chan struct{} }

// fatalErr marks an error fatal (see Fatal).
type fatalErr struct{ err error }

func (e fatalErr) Error() string { return e.err.Error() }
func (e fatalErr) Unwrap() error { return e.err }
func (e fatalErr) Fatal() bool   { return true }

// Fatal marks err as one that no retry can fix, so that the service whose run returned it stops and
// shows it instead of trying again; nil stays nil. Engines use it for their own such errors.
func Fatal(err error) error {
	if err == nil {
		return nil
	}
	return fatalErr{err}
}

// IsFatal reports whether err is one that no retry can fix: marked so (an error whose Fatal method
// says true, anywhere in its chain), a missing or refused credential, a store that cannot be used, or
// a configuration error.
func IsFatal(err error) bool {
	if err == nil {
		return false
	}
	if httpremote.IsFatal(err) { // marked by a remote's client (sync/remote) or an engine
		return true
	}
	for _, s := range [...]error{
		store.ErrAuditKeyMissing, store.ErrSecretNotFound, store.ErrLocked, store.ErrNotStore,
		store.ErrNewerSchema, store.ErrDamaged, config.ErrNotFound,
		rws.ErrUnauthorized, rws.ErrLockedOut,
	} {
		if errors.Is(err, s) {
			return true
		}
	}
	var ce *config.Error
	return errors.As(err, &ce)
}

// classify says how a failed run is handled; for an offline remote it also returns the channel that
// is closed when the remote answers again.
func classify(err error) (verdict, <-chan struct{}) {
	if IsFatal(err) {
		return fatal, nil
	}
	var m offlineMarker
	if errors.As(err, &m) {
		if ready := m.Ready(); ready != nil {
			return offline, ready
		}
	}
	return retry, nil
}

// credentialRejected reports whether err says the remote refused the credential it was given (as
// opposed to the credential being absent from the keyring).
func credentialRejected(err error) bool {
	return errors.Is(err, rws.ErrUnauthorized) || errors.Is(err, rws.ErrLockedOut) || errors.Is(err, httpremote.ErrCredentialRejected)
}

// panicError is a run that panicked: a bug, reported rather than retried.
func panicError(v any) error {
	return Fatal(fmt.Errorf("internal error (please report it with the log file): %v", v))
}
