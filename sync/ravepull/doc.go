// Package ravepull keeps a local, complete copy of a study's clinical data and audit trail from
// Medidata Rave, pulled incrementally through Rave Web Services.
//
// Two feeds per study: the ClinicalAuditRecords feed, paged by startid with the next page only in the
// Link header (checked against the tenant's origin before it is stored, never computed), and the
// regular dataset, pulled with start= the time Rave last reported (X-MWS-CV-Last-Updated).
//
// # One page or a group of consecutive pages, one transaction
//
// Consecutive audit pages are grouped (up to about 50,000 rows, or 1 s after the group's first page,
// whichever comes first, so that a slow remote still commits often) and a group's rows (sorted by
// natural key), its quarantined fragments, the cursor (moved to the last page's next link) and one
// audit entry per page (request, record count, SHA-256 of that page) commit in one bbolt transaction.
// A crash at any instant resumes from the last committed cursor, and re-applying a page changes
// nothing.
//
// The audit feed interleaves a study's subjects, so a group's rows belong in thousands of places of
// the clinical B-tree. A group's rows are therefore staged (store.Tx.StageClinical): appended, as one
// sorted run, to a bucket of their own, one sequential write. Readers see staged rows at once (the
// store merges them into every read of the clinical values). The runs are merged into the clinical
// bucket in large sorted sweeps that write each of its pages once (store.Tx.MergeStaged): when the
// staged rows reach 1 GiB or half the store, and always before PullAudit returns, in transactions of
// bounded size that each record how far the merge has gone, so that a crash resumes it and no reader
// ever sees it half done. Later audit records win over earlier ones exactly as if each group had
// been written straight away. A dataset answer can be gigabytes, far beyond one transaction's memory,
// so it commits in batches at subject boundaries straight into the clinical bucket (after merging
// whatever an interrupted audit pull left staged: those rows are older) and advances its cursor only
// in the last batch; a crash between batches re-applies them harmlessly from the unmoved cursor.
//
// A next link that leads elsewhere than the tenant, or back to a page already read in this pull (a
// cycle), stops the feed with an error; the cursor stays on the page that gave it. An answer cut short
// is fetched again; one that arrived whole but is not well-formed is not, and its error names line:col.
//
// Reading and writing run on separate goroutines: the body is read ahead and parsed into
// store.ClinicalBatch arenas, each sorted on the parser's goroutine, while the previous group or batch
// is written, and the store's mapped pages are dropped after every commit (and during one, as lookups
// and merges fault them in), so that memory stays flat as the store grows.
//
// A SubjectData (or ItemGroupData) that breaks ODM's structure rules, or names a subject absent from
// the study's subject listing, goes to the quarantine bucket with its bytes and the reason; the rest of
// the page still lands.
package ravepull
