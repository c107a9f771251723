// Package exposure turns daily dose records from SureAdhere into Rave exposure log lines.
//
// SureAdhere records which tablets a patient took and when; the study's Rave holds one exposure log line
// per subject, drug form and start date. This package is the engine's pure core, with no I/O of its own
// beyond the intake's HTTP handler, so that every rule of the data transfer specification can be tested
// by itself and the durable outbox can store and replay what it produces:
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
//
// # Caveats
//
// Log lines are never removed: a record with a different start date or drug is a different log line, and
// the old one stays in Rave. The Context item (EXSTDAT) is what makes a resent POST harmless, so a send
// must never change it; Plan never does.
//
// The package keeps no state. Where a log line's acknowledged values live, how a send is retried and
// when a message is dead belong to the store and the outbox; Route only says what a dead message means.
package exposure
