package agent

import (
	"context"
	"errors"

	"github.com/trialsync/trialsync/store"
)

// SetCredential stores a secret in the OS keyring and records the change in the audit trail with
// the secret's fingerprint only. The clients built with the old secret are rebuilt on their next use,
// and the services stopped for want of it (missing or rejected) start again.
func (a *Agent) SetCredential(ctx context.Context, name, secret string) error {
	if err := store.ValidName(name); err != nil {
		return err
	}
	db, err := a.Store(ctx)
	if err != nil {
		return err
	}
	if err := db.Writable(); err != nil {
		return err // no keyring change without its audit entry
	}
	old := ""
	if prev, err := a.keyring.Get(name); err == nil {
		old = "hmac:" + db.Fingerprint(prev)
	} else if !errors.Is(err, store.ErrSecretNotFound) {
		return err
	}
	if err := a.creds.Set(name, secret); err != nil {
		return err
	}
	_, err = a.Record(ctx, store.Entry{Action: store.ActionCredsSet, Object: name, Old: old,
		New: "hmac:" + db.Fingerprint(secret), Reason: "credential set by " + a.actor})
	if err == nil {
		a.log.Info().Str("credential", name).Str("fingerprint", db.Fingerprint(secret)).Str("store", db.Path()).Msg("credential set")
	}
	a.credentialSet(name) // the keyring holds the new secret even if its audit entry failed
	return err
}

// DeleteCredential removes a secret from the OS keyring and records it.
func (a *Agent) DeleteCredential(ctx context.Context, name string) error {
	db, err := a.Store(ctx)
	if err != nil {
		return err
	}
	if err := db.Writable(); err != nil {
		return err
	}
	if err := a.creds.Delete(name); err != nil {
		if errors.Is(err, store.ErrSecretNotFound) {
			return errors.New("credential " + name + " not set")
		}
		return err
	}
	a.credentialSet(name) // clients built with it are dropped; the next use finds it missing
	_, err = a.Record(ctx, store.Entry{Action: store.ActionCredsDelete, Object: name, Reason: "credential deleted by " + a.actor})
	return err
}

// Credentials lists the names of the stored credentials (never their values).
func (a *Agent) Credentials() ([]string, error) { return a.creds.List() }

// Credential returns a secret for an engine; a missing one yields the contract's message
// "credential NAME not set (trialsync creds set NAME)".
func (a *Agent) Credential(name string) (string, error) { return a.creds.Get(name) }
