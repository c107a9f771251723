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
// # Running it
//
// The merge above is pure. Around it, a Reconciler runs one study's reconciliations against the two
// systems: a Remote per system (sync/remote underneath: retries, Retry-After, the breaker, the offline
// state, the bearer token) reads each listing cursor after cursor, both at once; the stored baselines,
// pending decisions and open conflicts are read from the store (ItemState in store.Baselines,
// OpenConflict in store.Conflicts); the items are planned as the pages arrive when both listings come
// in key order (whole listings otherwise); and each decision is committed in one transaction with its
// audit entries — its writes queued to the outbox with their pending baseline, its conflict opened or
// refreshed, its gap or unmapped record kept raw, or its baseline moved. Nothing is committed before
// both listings are whole. The Sender delivers the queued writes for the outbox: it reads each target
// just before the PUT and sends only when the target still holds the record the plan saw (the systems
// have no conditional PUT), settles each write in the transaction that marks its message done, and a
// decision's baseline is stored when its last write settles. Settle adjudicates an open conflict on a
// person's behalf; Conflicts, ConflictSummary, Look and Baselines read what the store holds.
//
// # Caveats
//
// Engine, Plan and Resolve perform no I/O and keep no state. Their caller must
//   - plan only on complete listings: an item missing from a truncated listing reads as deleted;
//   - store a Decision's Baseline only after every one of its writes was acknowledged (2xx), store nothing
//     for a conflict, gap or unmapped item, and delete the baseline when DropBaseline says so;
//   - send each write with its IdempotencyKey and its body unchanged, so that a plan replayed after a
//     crash has one effect;
//   - pass the items with an open conflict in Input.Open (nothing is written for them until Resolve),
//     keep each open conflict's ID in the copy Plan refreshes, and settle the latest copy.
//
// The Reconciler and the Sender do all of this. A write's body starts from the target's record as it was
// listed; the Sender's read just before the PUT leaves only the instant between that read and the PUT in
// which an edit made in the target could be overwritten (closing it would need the systems to honour
// If-Match). A write dropped because its target changed leaves its fields at their old baseline, and the
// next run decides them again.
//
// Update times are kept for display only. Change is measured against the baseline, never by comparing
// clocks, so skew between the systems cannot decide anything.
package checklist
