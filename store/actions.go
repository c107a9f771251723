package store

// Audit action names, one place for every verb the ledger records. An action is part of each entry's
// hashed content, so a name, once written, must keep its spelling: add new names, never rename one.
// Names are lower-case words joined by dots, subject first ("outbox.send", "creds.set").
const (
	// The store itself.
	ActionStoreCreated = "store.created" // first entry of every store; names a missing predecessor

	// Credentials in the OS keyring (values never recorded, a keyed fingerprint at most).
	ActionCredsSet     = "creds.set"
	ActionCredsDelete  = "creds.delete"
	ActionTokenRotated = "rws.token.rotated" // a new OAuth2 access token for Rave

	// The audit trail.
	ActionAuditExported        = "audit.exported"
	ActionAuditVerified        = "audit.verified"         // a person verified the chain and found it intact
	ActionAuditVerifyScheduled = "audit.verify.scheduled" // a scheduled background verification passed
	ActionAuditVerifyFailed    = "audit.verify.failed"    // a verification found a problem

	// The Rave pull.
	ActionPullPage    = "pull.page"    // one page of the audit-records feed
	ActionPullBatch   = "pull.batch"   // one intermediate batch of a dataset
	ActionPullDataset = "pull.dataset" // the last batch of a dataset, which moves its cursor
	ActionPullMerge   = "pull.merge"   // staged audit-feed rows merged into the clinical values
	ActionCursorReset = "cursor.reset" // a person reset a feed's cursor

	// Quarantined fragments.
	ActionQuarantineResolve = "quarantine.resolve"

	// The outbound queue: every state change of a message.
	ActionOutboxEnqueue = "outbox.enqueue"
	ActionOutboxSend    = "outbox.send"    // an attempt starts
	ActionOutboxDone    = "outbox.done"    // the remote acknowledged it
	ActionOutboxDead    = "outbox.dead"    // attempts exhausted or refused for good
	ActionOutboxRetry   = "outbox.retry"   // a person re-queued a dead message
	ActionOutboxDiscard = "outbox.discard" // a person ended a message
	ActionOutboxFail    = "outbox.fail"    // an attempt failed or was interrupted; the message waits for its next one
	ActionOutboxHeld    = "outbox.held"    // the remote could not be reached; the attempt was given back
	ActionOutboxStale   = "outbox.stale"   // an attempt ended after its message was discarded; its outcome was not applied

	// SureAdhere exchange.
	ActionExposureImport   = "exposure.import"
	ActionSubjectPush      = "subject.push"
	ActionSubjectArmChange = "subject.arm.change"

	// A person acknowledged an arm change that SureAdhere's ingest cannot take.
	ActionSubjectArmAcknowledge = "subject.arm.acknowledge"

	// Checklist reconciliation.
	ActionChecklistWrite       = "checklist.write"        // a field written across to EDC or CTMS
	ActionChecklistConflict    = "checklist.conflict"     // a genuine conflict quarantined for a person
	ActionChecklistResolve     = "checklist.resolve"      // a person adjudicated a conflict
	ActionChecklistBaseline    = "checklist.baseline"     // the agreed baseline moved
	ActionChecklistOwnerChange = "checklist.owner.change" // a field's source of truth changed
	ActionChecklistFinding     = "checklist.finding"      // an item could not be reconciled: a gap, an unmapped record
	ActionChecklistDropped     = "checklist.dropped"      // a queued write not sent: its target changed since the plan

	// Settings changed from the window or the configuration.
	ActionSettingsChange = "settings.change"
)

// Actions lists every action above, in the order above: the Audit screen's filter offers them, so an
// action added above must be added here too (a test compares the two).
func Actions() []string {
	return []string{
		ActionStoreCreated, ActionCredsSet, ActionCredsDelete, ActionTokenRotated,
		ActionAuditExported, ActionAuditVerified, ActionAuditVerifyScheduled, ActionAuditVerifyFailed,
		ActionPullPage, ActionPullBatch, ActionPullDataset, ActionPullMerge, ActionCursorReset,
		ActionQuarantineResolve,
		ActionOutboxEnqueue, ActionOutboxSend, ActionOutboxDone, ActionOutboxDead, ActionOutboxRetry,
		ActionOutboxDiscard, ActionOutboxFail, ActionOutboxHeld, ActionOutboxStale,
		ActionExposureImport, ActionSubjectPush, ActionSubjectArmChange, ActionSubjectArmAcknowledge,
		ActionChecklistWrite, ActionChecklistConflict, ActionChecklistResolve, ActionChecklistBaseline,
		ActionChecklistOwnerChange, ActionChecklistFinding, ActionChecklistDropped,
		ActionSettingsChange,
	}
}
