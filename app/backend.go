package app

import (
	"context"

	"github.com/trialsync/trialsync/store"
)

// Backend is everything the GUI asks of the agent. sync/agent implements it (cmd/trialsync adapts
// the Status type); tests use a fake. Methods are called off the Fyne goroutine and must honour ctx.
type Backend interface {
	// AuditEntries returns up to limit entries with Seq > after, oldest first.
	AuditEntries(ctx context.Context, after uint64, limit int) ([]store.Entry, error)
	// VerifyAudit walks the whole ledger, calling progress as it goes, and reports the first problem.
	// An error means verification could not run at all; a broken chain is a Report with a Problem.
	VerifyAudit(ctx context.Context, progress func(done, total uint64)) (store.Report, error)
	// Status reports on the store, configuration and credentials for the dashboard and settings.
	Status(ctx context.Context) (Status, error)
}

// Status is the agent's state at a glance. Its fields match sync/agent's Status one for one, so the
// adapter in cmd/trialsync is a plain conversion.
type Status struct {
	RunID       string
	StorePath   string
	InstallID   string
	Schema      int
	AuditCount  uint64 // entries covered by the keyed checkpoint
	AuditTip    string // hex
	ConfigPath  string
	ConfigError string   // empty when the configuration loaded
	Credentials []string // names only, never values
}

// HasCredential reports whether the named credential is in the keyring.
func (s Status) HasCredential(name string) bool {
	for _, c := range s.Credentials {
		if c == name {
			return true
		}
	}
	return false
}
