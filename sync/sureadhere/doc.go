// Package sureadhere sends randomized subjects from Rave to SureAdhere (Dimagi's digital adherence
// platform): the client of its patient-ingest endpoint, and the subject push engine that finds
// randomized subjects in the pulled clinical data and queues them through the durable outbox.
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
// shown field by field. 429 (with Retry-After), 5xx and network failures are retried; an unreachable
// SureAdhere is offline, which holds the queue without spending attempts.
package sureadhere
