package store

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// bbolt reads pages straight from its memory map and trusts them: a damaged page can make it panic, and
// a file cut short under it makes a read fault (SIGBUS), which Go turns into a recoverable panic only
// when asked to (debug.SetPanicOnFault). Every transaction runs under recoverDamage, so that what
// would kill the process with a stack dump becomes an ErrDamaged error naming the file; bbolt rolls
// the transaction back on the way out, so nothing half-done is kept.

// recoverDamage turns a memory fault, or a panic raised inside bbolt, in the deferring function into
// ErrDamaged in *err; any other panic (a bug in the caller's transaction function) goes on, as it
// would without the store in between. It must be deferred directly.
func recoverDamage(path string, err *error) {
	r := recover()
	if r == nil {
		return
	}
	if !isDamage(r) {
		panic(r)
	}
	*err = fmt.Errorf("store %s: %w (%v); restore it from a backup or move it aside", path, ErrDamaged, r)
}

// isDamage reports whether the panic being recovered is a memory fault or was raised by bbolt's own code
// (the first frame below the runtime's panic machinery is bbolt's), which is how bbolt meets a page it
// cannot read. It must be called from the deferred function that recovered.
func isDamage(r any) bool {
	if _, fault := r.(interface{ Addr() uintptr }); fault {
		return true
	}
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "runtime.") {
			return strings.HasPrefix(f.Function, "go.etcd.io/bbolt")
		}
		if !more {
			return false
		}
	}
}

// view runs fn in a bbolt read transaction, with panics and faults turned into ErrDamaged.
func (db *DB) view(fn func(*bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverDamage(db.path, &err)
	return db.bolt.View(fn)
}

// update runs fn in a bbolt write transaction, with panics and faults turned into ErrDamaged.
func (db *DB) update(fn func(*bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverDamage(db.path, &err)
	return db.bolt.Update(fn)
}

// errCheckDone rolls back the write transaction a consistency check runs in.
var errCheckDone = errors.New("consistency check done")

// consistency runs bbolt's consistency check and returns how many problems it found and the first
// limit of them, each as a line for a person. The error is set only when the check could not run.
//
// bbolt checks on a goroutine of its own, which SetPanicOnFault cannot cover, so a file cut short
// since it was opened is reported from its size before the check would read past its end.
//
// bbolt's check compares the pages it reaches with the database's free list as it is now, not as the
// transaction saw it: run in a read transaction beside writers, it reports pages a later commit freed
// ("reachable freed") where there is no damage, and reads the free list while a writer changes it. So
// a store open for writing is checked in a write transaction, which holds writers off for the check's
// length and is then rolled back; a read-only store has no writer beside it.
func (db *DB) consistency(limit int) (first []string, total int, err error) {
	run := db.view
	if !db.readOnly {
		run = func(fn func(*bolt.Tx) error) error {
			if err := db.update(func(tx *bolt.Tx) error {
				if err := fn(tx); err != nil {
					return err
				}
				return errCheckDone // nothing to commit
			}); !errors.Is(err, errCheckDone) {
				return err
			}
			return nil
		}
	}
	err = run(func(tx *bolt.Tx) error {
		fi, err := os.Stat(db.path)
		if err != nil {
			return err
		}
		if fi.Size() < tx.Size() {
			first, total = []string{fmt.Sprintf("the file holds %d bytes, its header says %d (truncated)", fi.Size(), tx.Size())}, 1
			return nil
		}
		for e := range tx.Check() {
			if total++; len(first) < limit {
				first = append(first, e.Error())
			}
		}
		return nil
	})
	return first, total, err
}
