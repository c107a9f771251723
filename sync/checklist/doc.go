// Package checklist reconciles the site-activation checklists that a study keeps in two systems, an EDC
// and a CTMS, field by field against the last state both agreed on.
//
// The two systems name their fields differently, speak different status vocabularies and are edited
// independently, so they drift. A hash of the last agreed record can say that something changed but not
// what, and a comparison of update times trusts two clocks that do not agree; neither can tell a
// legitimate edit from a silent overwrite. This package therefore keeps the last agreed record as values
// (the Baseline) and runs a three-way merge per field, in the manner of Dolt's cell-wise merge: a field
// that only one side changed goes to the other side when the changer is the field's source of truth, is
// put back to the owner's value when it is not, and a field that both sides changed to different values is
// a conflict that waits for a person. Nothing is overwritten without the overwritten value being carried
// in the decision for the audit entry (CouchDB keeps the losing revision for the same reason).
//
// # Basics
//
// An Adapter turns one system's raw JSON record into the canonical Item, and a canonical change back into
// a PUT body. Adapters are configured by a Mapping, not coded: field names, status vocabulary and
// endpoints; DefaultEDC and DefaultCTMS are the systems of the command-line contract. Values are
// normalised per field type as they are decoded (codes compared without case, white space collapsed, null
// and empty alike, dates as YYYY-MM-DD), so the merge compares meaning, not spelling. A record that cannot
// be mapped (an unknown status, a timestamp without a zone, a missing key) is never defaulted: it is kept
// raw and reported as unmapped. A body is the system's own record with only the written values replaced,
// byte for byte, so fields trialsync does not know survive; a field that only one system holds (the
// CTMS's sign-off) is read from it and never written across.
//
// An Engine holds the two adapters and the Owners (which system is the source of truth of each field). Its
// Plan takes both listings and the stored baselines and returns one Decision per item — in_sync,
// write_ctms, write_edc, write_both, conflict, gap or unmapped — with the writes to make (encoded bodies,
// paths, idempotency keys, old and new values) and the baseline to store once every write of the item is
// acknowledged. Resolve turns a person's per-field choice on a conflict into the same kind of Decision.
//
// The records are read by a small strict JSON scanner rather than encoding/json: for 100,000 records a
// side, decoding into maps would be most of a reconciliation's CPU. encoding/json is its oracle in
// FuzzScanner.
//
// # Caveats
//
// The package is pure: it performs no I/O and keeps no state. The caller must
//   - plan only on complete listings: an item missing from a truncated listing reads as deleted;
//   - store a Decision's Baseline only after every one of its writes was acknowledged (2xx), store nothing
//     for a conflict, gap or unmapped item, and delete the baseline when DropBaseline says so;
//   - send each write with its IdempotencyKey and its body unchanged, so that a plan replayed after a
//     crash has one effect;
//   - pass the items with an open conflict in Input.Open (nothing is written for them until Resolve),
//     keep each open conflict's ID in the copy Plan refreshes, and settle the latest copy.
//
// A write's body starts from the target's record as it was listed. An edit made in the target system
// between that listing and the PUT is overwritten by the PUT (the systems offer no conditional PUT), so
// writes should go out soon after their plan, and a plan whose writes waited long (an offline remote)
// should be made again rather than sent.
//
// Update times are kept for display only. Change is measured against the baseline, never by comparing
// clocks, so skew between the systems cannot decide anything.
package checklist
