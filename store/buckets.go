package store

// Bucket names, one per row of ARCHITECTURE.md's table. Every store has all of them from creation on.
var (
	BucketMeta       = []byte("meta")
	BucketCursors    = []byte("cursors")
	BucketClinical   = []byte("clinical")
	BucketQuarantine = []byte("quarantine")
	BucketSubjects   = []byte("subjects")
	BucketExposures  = []byte("exposures")
	BucketOutbox     = []byte("outbox")
	BucketBaselines  = []byte("baselines")
	BucketConflicts  = []byte("conflicts")
	BucketAudit      = []byte("audit")
	// BucketStats holds hourly activity counters and the last verification (stats.go); schema 2 on.
	BucketStats = []byte("stats")
	// BucketStaged holds the audit feed's rows written ahead of the clinical bucket until they are
	// merged into it (clinical_stage.go); readers of the clinical bucket see both. Schema 3 on.
	BucketStaged = []byte("clinical_staged")
)

// allBuckets lists every bucket a store of the current schema has.
var allBuckets = [][]byte{
	BucketMeta, BucketCursors, BucketClinical, BucketQuarantine, BucketSubjects,
	BucketExposures, BucketOutbox, BucketBaselines, BucketConflicts, BucketAudit, BucketStats, BucketStaged,
}

// Keys in the meta bucket.
var (
	metaSchema     = []byte("schema")     // uvarint schema version
	metaInstallID  = []byte("install_id") // 16 hex digits, names this store's keyring entries
	metaCheckpoint = []byte("checkpoint") // see checkpoint.go
	metaOpen       = []byte("open")       // 1 while a process has the store open; 1 at open means unclean shutdown
	metaCreated    = []byte("created")    // RFC 3339 time of creation
)
