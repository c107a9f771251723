// Package sureadhere sends randomized subjects from Rave to SureAdhere (Dimagi's digital adherence
// platform): the client of its patient-ingest endpoint, and the subject push engine that finds
// randomized subjects in the pulled clinical data and sends them through the durable outbox.
//
// # The client
//
// New builds a Client on sync/remote with the workspace's integration token in the
// MRNIntegrationToken header (keyring entry sureadhere.token). Ingest posts {"mrn","regimen",
// "site_code"} to /treatment/ingest/mrn_regimen. SureAdhere keys patients by MRN (the Rave subject
// ID), so an ingest is idempotent by nature: 201 (created) and 409 (already there) both acknowledge
// it, and a send repeated after a lost answer is safe. 400 is permanent and carries its reason; but
// SureAdhere answers a bad token with 400 too ({"detail":"Invalid MRNIntegrationToken."}), so the
// error hook reads the detail of every 400: a refused token is a fatal *TokenError for the whole
// service (nothing but a new token helps), a refused body a permanent failure of that one subject,
// shown field by field (FieldProblems). 429 (with Retry-After), 5xx and network failures are
// retried; an unreachable SureAdhere is offline, which holds the queue without spending attempts.
//
// # The subject push
//
// An Engine works on the store's subjects bucket (study / subject -> Subject: site, Rave's arm, the
// regimen it maps to, the push state, what SureAdhere acknowledged, an arm change and the decision
// on it):
//
//   - Discover reads each configured study's arm item (store.Tx.WalkClinicalItem) and, one
//     transaction per subject together with its audit entries, records the randomized subjects and
//     queues what SureAdhere lacks as an outbox message of kind "subject" keyed "study/subject". An
//     arm without a regimen in [sureadhere] regimens is recorded as a problem (StateUnmapped), not
//     sent. An edit before the send coalesces into the unsent message. A subject whose state is
//     already what Rave says is left alone: a second push of the same state sends nothing.
//   - Send is the outbox's Sender for those messages. It reads the subject's record first, so that a
//     message overtaken by events sends nothing: the subject already in SureAdhere, its arm no longer
//     mapped, a later change queued behind it. SureAdhere's acknowledgement is recorded (Pushed) in the
//     transaction that marks the message done.
//   - A subject SureAdhere holds is never sent again. SureAdhere's ingest cannot change a patient's
//     regimen (an ingest of a known MRN is a 409 that changes nothing), so an arm changed in Rave after
//     the push is flagged for a person (StateArmChanged, with the old and new arm), and Acknowledge
//     records that person's decision (the regimen changed in SureAdhere by hand, or left as it is, and
//     why), audited, sending nothing. Rave's arm going back to the pushed one settles the flag.
//
// Push runs Discover and then one delivery of the subject messages, as `subjects push --once` does;
// the agent runs discovery as a service of its own and delivers through its send service for the
// kind. List and Count read the subjects and their messages' states for the screen and the CLI.
package sureadhere
