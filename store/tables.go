package store

// Typed accessors for the engines' buckets (ARCHITECTURE.md's bucket table). Each engine stores its
// own value type; the store fixes only the key layout, so that every record of a bucket sorts and is
// selected the same way whoever wrote it:
//
//	err := db.Update(ctx, func(tx *store.Tx) error {
//		id, err := store.Outbox[outbox.Message](tx).Add(msg)
//		...
//		_, err = tx.Append(store.Entry{Action: store.ActionOutboxEnqueue, Object: "outbox/" + strconv.FormatUint(id, 10)})
//		return err
//	})
//
// Each accessor works in a View (reads) and in an Update (reads and writes), so a reader and the audit
// entry of what it decided can share one transaction.

// Outbox is the outbound queue: one record per message, numbered in the order they were queued.
func Outbox[V any](tx *Tx) SeqTable[V] { return seqTableOf[V](tx, BucketOutbox) }

// Exposures holds dose log lines by study / subject / form / start date (ExposureKey).
func Exposures[V any](tx *Tx) Table[V] { return tableOf[V](tx, BucketExposures) }

// ExposureKey is the key of one dose log line: what Rave identifies it by.
func ExposureKey(study, subject, form, startDate string) Key {
	return NewKey(study, subject, form, startDate)
}

// Subjects holds randomized subjects by study / subject (SubjectKey).
func Subjects[V any](tx *Tx) Table[V] { return tableOf[V](tx, BucketSubjects) }

// SubjectKey is the key of one subject of a study.
func SubjectKey(study, subject string) Key { return NewKey(study, subject) }

// Baselines holds the last agreed checklist record by system pair / site / item (BaselineKey).
func Baselines[V any](tx *Tx) Table[V] { return tableOf[V](tx, BucketBaselines) }

// BaselineKey is the key of one checklist item's baseline between two systems (pair: "edc-ctms").
func BaselineKey(pair, site, item string) Key { return NewKey(pair, site, item) }

// Conflicts holds checklist conflicts awaiting a person, by site / item (ConflictKey). Conflicts are
// numbered for people with the table's NextSequence, kept in the value.
func Conflicts[V any](tx *Tx) Table[V] { return tableOf[V](tx, BucketConflicts) }

// ConflictKey is the key of one checklist item's open conflict.
func ConflictKey(site, item string) Key { return NewKey(site, item) }
