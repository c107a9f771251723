package store

import (
	"fmt"
	"time"
)

// The keyring keeps a copy of the newest audit checkpoint so that a store replaced by an older copy of
// itself is detected (rollback). The copy is refreshed after commits by a timer: at most once per
// keyringSyncInterval (a keyring write is a D-Bus round trip, too slow for every commit of a pull) and
// at the latest keyringSyncInterval after a commit, whether or not another commit follows; Close
// copies the last one. What a rollback can still hide is therefore the commits of the last
// keyringSyncInterval plus one keyring write before the process was killed.

// keyringSyncInterval bounds how often, and how late, the keyring's checkpoint copy is refreshed.
const keyringSyncInterval = time.Second

// committed records cp as the newest checkpoint and makes sure a flush is scheduled; if Close ran
// between the commit and this call (and so found nothing to copy), it copies cp itself.
func (db *DB) committed(cp *checkpoint) {
	db.mu.Lock()
	if cp.Count <= db.highest {
		db.mu.Unlock()
		return // an older commit finishing late: never move the keyring's copy backwards
	}
	db.highest, db.pending = cp.Count, cp
	db.scheduleFlushLocked()
	closed := db.closed
	db.mu.Unlock()
	if closed {
		_ = db.flush()
	}
}

// scheduleFlushLocked arms the flush timer unless it is armed already or the store is closing.
func (db *DB) scheduleFlushLocked() {
	if db.flushTimer != nil || db.closed {
		return
	}
	wait := max(keyringSyncInterval-time.Since(db.synced), 0)
	db.flushTimer = time.AfterFunc(wait, db.flushTimed)
}

// flushTimed runs on the timer: copy the pending checkpoint; on failure keep it and try again later
// (Close reports the failure if it persists).
func (db *DB) flushTimed() {
	err := db.flush()
	db.mu.Lock()
	defer db.mu.Unlock()
	db.flushTimer = nil
	switch {
	case db.closed:
	case err != nil: // the keyring is failing: try again after a full interval, not at once
		db.flushTimer = time.AfterFunc(keyringSyncInterval, db.flushTimed)
	case db.pending != nil: // a commit arrived during the write
		db.scheduleFlushLocked()
	}
}

// flush copies the pending checkpoint, if any, to the keyring. Keyring writes are serialised by syncMu
// and made without holding mu, so commits never wait on D-Bus.
func (db *DB) flush() error {
	db.syncMu.Lock()
	defer db.syncMu.Unlock()
	db.mu.Lock()
	cp := db.pending
	db.pending = nil
	db.mu.Unlock()
	if cp == nil {
		return nil
	}
	err := db.keyring.Set(db.checkpointName(), cp.text())
	db.mu.Lock()
	defer db.mu.Unlock()
	if err != nil {
		if db.pending == nil {
			db.pending = cp // nothing newer arrived meanwhile: this one is still owed
		}
		db.syncErr = fmt.Errorf("store %s: saving the audit checkpoint to the keyring: %w", db.path, err)
		return db.syncErr
	}
	db.synced, db.syncErr = time.Now(), nil
	return nil
}
