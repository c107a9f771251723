// Package odm reads and writes CDISC ODM 1.3 clinical data.
//
// Rave exports and audit-record feeds are ODM 1.3 documents that can exceed 2 GB. encoding/xml reads them
// at about 50 MB/s and a DOM does not fit in memory, so this package carries its own pull tokenizer: a
// sliding window over the input, scans a word at a time, element and attribute names recognised from
// the ones already seen (an export repeats a few dozen of them in the same order), no allocation per
// token, values copied only when a row keeps them. Its work is linear in its input whatever the
// input's shape (many attributes or declarations, deep nesting, long names, many bad blocks), so a
// hostile or broken answer costs time in proportion to its size. It is strict where a lax parser would
// turn a broken download into a short export: end tags are matched against start tags, a document that
// ends with elements open is an error, invalid UTF-8 and characters outside XML 1.0 are rejected, and a
// DOCTYPE with an internal subset is refused before anything in it is looked at (no entity expansion,
// no external fetch).
//
// # Reading
//
// NewReader returns a Reader whose Next method yields one Row per ItemData (and per ODM 1.3.2 typed
// ItemDataString, ItemDataInteger, …) with its full context: study, subject, site, event, form, item group
// and their repeat keys, the value, IsNull, TransactionType and the AuditRecord, plus one Row per audit
// event recorded on a SubjectData, StudyEventData, FormData or ItemGroupData (Kind tells them apart).
// The strings of a Row point into the Reader's buffers and are valid only until the next call to Next;
// Row.Clone copies them out.
//
// Elements are matched by namespace URI, never by prefix: ODM (http://www.cdisc.org/ns/odm/v1.3) and
// Medidata's mdsol extension under any prefix. Elements of any other namespace are skipped with their
// whole subtree.
//
// # Errors
//
// A document that is not well-formed stops the Reader with a *SyntaxError carrying line, column and
// byte offset. A well-formed document whose ODM structure is wrong inside one SubjectData (an ItemData
// without ItemOID, an ItemData outside an ItemGroupData, …) gives a *BlockError instead: the Reader skips
// to the end of that block, reports its byte range and, with CaptureFragments, its raw bytes, and Next
// goes on with the next block. That is how the pull engine quarantines exactly one fragment and keeps
// going; see BlockError.
//
// # Writing
//
// NewWriter builds ODM 1.3 transactional documents (ClinicalData > SubjectData > SiteRef,
// StudyEventData, FormData, ItemGroupData, ItemData) for posting to Rave, escaping every value and
// counting the bytes written so that a caller can keep a POST under a byte limit. What the Writer
// produces, the Reader reads back to the same rows.
package odm
