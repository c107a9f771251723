// Package store is trialsync's one embedded database: a bbolt file holding the pulled clinical data, the
// outbound queue, reconciliation baselines and the hash-chained audit ledger, plus the OS-keyring access
// for every secret.
//
// # Basics
//
// Open creates the file atomically on first use (built under a temporary name, then renamed), takes an
// exclusive lock with a timeout so that a second instance fails fast, and refuses files that are not
// trialsync stores, that come from a newer schema, that are shorter than their own header says, or that
// fail bbolt's consistency check after an unclean shutdown. Options.ReadOnly opens an existing store
// for reading only (verify, list, export): it never creates one, never writes the file or the keyring,
// and works on a read-only copy.
//
// All writes go through DB.Update (the agent's own work) or DB.UpdateAs (a person's): a caller's state
// change and the audit entry that records it commit in one bbolt transaction, so a crash leaves both or
// neither. Entries take their run ID and actor from the transaction unless they name their own; action
// names are the Action* constants.
//
// Engines keep their records in typed tables: Outbox[V](tx), Subjects[V](tx), Exposures[V](tx),
// Baselines[V](tx) and Conflicts[V](tx) give a Table or SeqTable of the engine's own value type over the
// bucket ARCHITECTURE.md names, with the bucket's key layout (SubjectKey, ExposureKey, ...). They work in
// View and Update alike, so a reader and the audit entry of what it decided share one transaction.
//
// Credentials are named by DB.Fingerprint, keyed with a per-install key from the keyring, never by a
// plain hash.
//
// # Caveats
//
// Byte slices read inside a transaction are valid only until it ends; copy what you keep (the typed
// tables return copies). bbolt panics, and faults on a file cut short, inside a transaction come back
// as ErrDamaged.
package store

// SchemaVersion is the store layout this build reads and writes; see migrate.go.
const SchemaVersion = 3
