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
	RavePull
}

// RavePull is what the Rave pull screen and the dashboard ask of the agent's pull services.
type RavePull interface {
	// PullStatus is the pull's state now. It only reads memory, so it is cheap to call often.
	PullStatus() PullStatus
	// PullChanged delivers a signal after the pull's state changes, with at most one pending, so a
	// slow reader sees the latest state rather than a backlog. The GUI is its only reader.
	PullChanged() <-chan struct{}
	// PullNow asks every study's pull to run at once; it never blocks.
	PullNow()
	// Quarantine lists quarantined fragments, resolved ones too when includeResolved.
	Quarantine(ctx context.Context, includeResolved bool) ([]store.Quarantined, error)
	// ResolveQuarantine marks fragment id reviewed, with the person's reason (required), in the
	// same transaction as its audit entry.
	ResolveQuarantine(ctx context.Context, id uint64, reason string) error
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
