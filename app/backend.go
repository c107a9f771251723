package app

import (
	"context"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/agent"
	"github.com/trialsync/trialsync/sync/exposure"
	"github.com/trialsync/trialsync/sync/outbox"
)

// Backend is everything the GUI asks of the agent: one snapshot of its state, a change signal, and
// one small set of commands per screen. sync/agent's *Agent implements it; tests use a fake. The
// snapshot reads memory; every other method may do I/O and is called off the Fyne goroutine, and
// honours ctx.
type Backend interface {
	// Snapshot is the agent's state now: engines, services, remotes, the audit trail.
	Snapshot() agent.Snapshot
	// Subscribe returns a channel signalled after every change of the snapshot (one signal pending
	// at most, so a slow reader reads the latest state) and the function that ends the subscription.
	Subscribe() (<-chan struct{}, func())
	// Status reports on the store, the configuration and the keyring's credential names.
	Status(ctx context.Context) (agent.Status, error)
	// Kick asks every service of an engine to run at once ("Pull now"); it never blocks.
	Kick(engine string)

	AuditTrail
	QuarantineReview
	CredentialStore
	PullPositions
	SettingsEditor
	ExposureQueue
	SubjectReview
	ChecklistReview
}

// ChecklistReview is what the Checklists screen asks.
type ChecklistReview interface {
	// Checklists reads the configured study's items grouped by outcome, one site's when site is not "".
	Checklists(ctx context.Context, site string) (agent.ChecklistOverview, error)
	// SettleConflict settles conflict id with the system chosen for each conflicting field and the
	// person's reason (required), audited; the writes it makes are queued.
	SettleConflict(ctx context.Context, id string, take map[agent.ChecklistField]agent.ChecklistSystem, reason string) error
}

// SubjectReview is what the Subjects screen asks.
type SubjectReview interface {
	// Subjects lists the randomized subjects and where each stands, in study and subject order.
	Subjects(ctx context.Context) ([]agent.SubjectRow, error)
	// AcknowledgeArmChange records the person's decision on an arm change made in Rave after the
	// subject reached SureAdhere, with their reason (required); nothing is sent.
	AcknowledgeArmChange(ctx context.Context, study, subject, reason string) error
	// RetryMessage re-queues a dead outbound message; DiscardMessage ends one unsent, with the
	// person's reason (required). Both are audited.
	RetryMessage(ctx context.Context, id uint64) (outbox.Message, error)
	DiscardMessage(ctx context.Context, id uint64, reason string) (outbox.Message, error)
}

// AuditTrail is what the Audit screen asks.
type AuditTrail interface {
	// AuditEntries returns up to limit entries with Seq > after, oldest first.
	AuditEntries(ctx context.Context, after uint64, limit int) ([]store.Entry, error)
	// VerifyAudit walks the whole ledger, calling progress as it goes, and reports the first problem.
	// An error means verification could not run at all; a broken chain is a Report with a Problem.
	VerifyAudit(ctx context.Context, progress func(done, total uint64)) (store.Report, error)
	// SearchAudit returns the newest limit entries the filter selects, oldest first, and how many
	// matched in all.
	SearchAudit(ctx context.Context, f agent.AuditFilter, limit int) ([]store.Entry, int, error)
	// ExportAuditFile writes the entries and the keyed checkpoint to path (JSON Lines, as `trialsync
	// audit export`) and records the export; it returns the checkpoint and the entries written.
	ExportAuditFile(ctx context.Context, path string) (store.Checkpoint, int, error)
}

// SettingsEditor is what the Settings screen's configuration form asks.
type SettingsEditor interface {
	// Settings reads the configuration to edit and the credentials' fingerprints (never a secret).
	Settings(ctx context.Context) (agent.Settings, error)
	// SaveSettings writes the edited configuration back after the checks it passes at start, audits
	// it, and restarts the services on it; it returns the changes, one line each.
	SaveSettings(ctx context.Context, ch agent.SettingsChange) ([]string, error)
}

// QuarantineReview is what the Rave pull screen's quarantine list asks.
type QuarantineReview interface {
	// Quarantine lists quarantined fragments, resolved ones too when includeResolved.
	Quarantine(ctx context.Context, includeResolved bool) ([]store.Quarantined, error)
	// ResolveQuarantine marks fragment id reviewed, with the person's reason (required), in the
	// same transaction as its audit entry.
	ResolveQuarantine(ctx context.Context, id uint64, reason string) error
}

// CredentialStore is what the Settings screen's credential rows ask.
type CredentialStore interface {
	// SetCredential puts a secret in the OS keyring (audited by fingerprint); the services stopped for
	// want of it start again.
	SetCredential(ctx context.Context, name, secret string) error
}

// ExposureQueue is what the Exposures screen asks: the outbound queue's exposure messages, a person's
// retry and discard, and the two doors for dose records it offers (the entry form, a file).
type ExposureQueue interface {
	// Messages lists the outbound messages f selects, oldest first.
	Messages(ctx context.Context, f outbox.Filter) ([]outbox.Listed, error)
	// RetryMessage re-queues a dead message (audited as the person's).
	RetryMessage(ctx context.Context, id uint64) (outbox.Message, error)
	// DiscardMessage ends a message unsent with the person's reason (required; audited).
	DiscardMessage(ctx context.Context, id uint64, reason string) (outbox.Message, error)
	// EnterExposure checks a dose record and queues it; a record that fails the checks is an
	// *exposure.Invalid with each field's problem (agent.IsInvalid), and nothing is stored.
	EnterExposure(ctx context.Context, in exposure.Input) (exposure.Record, error)
	// ImportExposures queues a CSV or JSON Lines file's valid records, calling reject for each other.
	ImportExposures(ctx context.Context, path string, reject func(exposure.Entry)) (agent.ImportResult, error)
}

// PullPositions is what the Settings screen's pull position section asks.
type PullPositions interface {
	// ResetCursor forgets a study's pull position (audited with the reason), so that its next pull
	// reads the feed from the beginning.
	ResetCursor(ctx context.Context, r agent.CursorReset) ([]agent.FeedReset, error)
}
