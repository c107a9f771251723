// Package ravepull keeps a local, complete copy of a study's clinical data and audit trail from
// Medidata Rave, pulled incrementally through Rave Web Services.
//
// Two feeds per study: the ClinicalAuditRecords feed, paged by startid with the next page only in the
// Link header (stored exactly as given, never computed), and the regular dataset, pulled with start=
// the time Rave last reported (X-MWS-CV-Last-Updated).
//
// # One page, one transaction
//
// An audit page's rows (upserted by natural key), its quarantined fragments, the cursor advance and one
// audit entry (request, record count, SHA-256 of the page) commit in one bbolt transaction. A crash at
// any instant resumes from the last committed cursor, and re-applying a page changes nothing. A
// dataset answer can be gigabytes, far beyond one transaction's memory, so it commits in batches at
// subject boundaries and advances its cursor only in the last one: a crash re-pulls from the old start
// and the upserts already made are no-ops.
//
// Parsing and writing run on separate goroutines: the parser encodes rows into store.ClinicalBatch
// arenas while the committer writes the previous batch.
//
// A SubjectData (or ItemGroupData) that breaks ODM's structure rules, or names a subject absent from
// the study's subject listing, goes to the quarantine bucket with its bytes and the reason; the rest of
// the page still lands.
package ravepull
