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
// natural key and upserted), its quarantined fragments, the cursor (moved to the last page's next link)
// and one audit entry per page (request, record count, SHA-256 of that page) commit in one bbolt
// transaction. A crash at any instant resumes from the last committed cursor, and re-applying a page
// changes nothing. Rows scattered over a large store (corrections spread over a study's whole history)
// would make one transaction rewrite, and hold in memory, most of the file: a transaction modifies at
// most 512 existing B-tree pages, so such a group writes its rows in transactions of their own first
// and the last one carries the cursor, fragments and entries. Those rows are upserts: a crash between
// the transactions re-applies them harmlessly from the unmoved cursor. A dataset answer can be
// gigabytes, far beyond one transaction's memory, so it commits in batches at subject boundaries and
// advances its cursor only in the last one, by the same argument.
//
// A next link that leads elsewhere than the tenant, or back to a page already read in this pull (a
// cycle), stops the feed with an error; the cursor stays on the page that gave it. An answer cut short
// is fetched again; one that arrived whole but is not well-formed is not, and its error names line:col.
//
// Reading and writing run on separate goroutines: the body is read ahead and parsed into
// store.ClinicalBatch arenas while the previous group or batch is written, and the store's mapped
// pages are dropped after every commit (and during one, as lookups fault them in), so that memory stays
// flat as the store grows.
//
// A SubjectData (or ItemGroupData) that breaks ODM's structure rules, or names a subject absent from
// the study's subject listing, goes to the quarantine bucket with its bytes and the reason; the rest of
// the page still lands.
package ravepull
