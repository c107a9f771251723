// Package store is trialsync's one embedded database: a bbolt file holding the pulled clinical data, the
// outbound queue, reconciliation baselines and the hash-chained audit ledger, plus the OS-keyring access
// for every secret.
//
// # Basics
//
// Open creates the file atomically on first use (built under a temporary name, then renamed), takes an
// exclusive lock with a timeout so that a second instance fails fast, and refuses files that are not
// trialsync stores, that come from a newer schema, or that fail bbolt's consistency check after an
// unclean shutdown.
//
// All writes go through DB.Update: a caller's state change and the audit entry that records it commit
// in one bbolt transaction, so a crash leaves both or neither.
//
// # Caveats
//
// Byte slices read inside a transaction are valid only until it ends; copy what you keep.
package store

// SchemaVersion is the store layout this build reads and writes; see migrate.go.
const SchemaVersion = 1
