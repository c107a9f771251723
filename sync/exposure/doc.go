// Package exposure turns daily dose records from SureAdhere into Rave exposure log lines.
//
// SureAdhere records which tablets a patient took and when; the study's Rave holds one exposure log line
// per subject, drug form and start date. This package is the exposure engine: a pure core, with no I/O
// of its own beyond the intake's HTTP handler, so that every rule of the data transfer specification
// can be tested by itself, and the two pieces that put it on the store and the durable outbox:
//
//   - Intake: NewDecoder reads a CSV file with a header row or a JSON Lines file (detected, a UTF-8 byte
//     order mark tolerated) one Entry at a time, each with its line in the file and either a valid Record
//     or the reason it was rejected, and Import hands the valid ones to a Queue in batches (what
//     `exposure import FILE` and the screen's file dialog do); Intake is the loopback HTTP door
//     (POST /v1/exposures) over the same rules and the same Queue.
//   - Validation: Rules.Check refuses a record as a whole, with every problem in a coordinator's words,
//     so nothing half-valid is ever stored.
//   - Coalescing: a Record is a LogLine's desired values. Changes and Plan compute what to send from the
//     values Rave last acknowledged: everything on a first send, only what changed later, nothing when
//     nothing changed, so edits made before a send coalesce into one.
//   - ODM: Mapping.Body writes one subject's sends as a CDISC ODM 1.3 transactional document (log lines
//     found by their start date with ItemGroupRepeatKey "@CONTEXT"), valid against the ODM 1.3.2 schema
//     and under RWS's 1,000,000-byte limit, and says what Rave should report touching.
//   - Answers: ParseStatistics and Expected.Compare check Rave's SuccessStatistics; Route classifies a
//     refusal (ReasonCode, ErrorOriginLocation) into whom to contact, whether it is urgent (a drug that may
//     not be the patient's), and advice to show.
//   - The queue: Lines implements Queue over the store's exposures bucket (Stored: each line's desired
//     values, the values Rave acknowledged, the outbox message of its latest change) and sync/outbox: an
//     import stores the desired values and enqueues the line's send, coalesced with an unsent earlier
//     change, in one transaction with its audit entries.
//   - The sender: Sender delivers outbox.KindExposure messages through the agent's one Rave client, one
//     log line per POST with the attempt's claim token as FileOID, success only on
//     IsTransactionSuccessful="1", and records what Rave acknowledged in the transaction that marks the
//     message done; refusals go back to the outbox with their reason code, origin and routing.
//
// # Caveats
//
// Log lines are never removed: a record with a different start date or drug is a different log line, and
// the old one stays in Rave. The Context item (EXSTDAT) is what makes a resent POST harmless, so a send
// must never change it; Plan never does.
//
// The core keeps no state: a log line's acknowledged values live in the store (Stored.Acked), and how a
// send is retried, when a message is dead, and in what order lines go belong to the outbox; Route only
// says what a dead message means. One POST carries one log line: a subject's lines could share one
// (Mapping.Body takes several), but then one refused line would fail its neighbours too.
package exposure
