package store

import (
	"os"
	"strconv"
	"strings"
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// TrimResident drops the store's memory-mapped pages from this process's resident set. bbolt reads
// through a shared, read-only file mapping; every page a bulk load touches stays mapped and counts as
// resident, so a multi-gigabyte pull would grow RSS with the file. MADV_DONTNEED on a shared file
// mapping only unmaps: the data stays in the file and the page cache, and the next read faults it back.
// It runs inside a read transaction, which holds bbolt's mmap lock, so the mapping cannot move meanwhile.
func (db *DB) TrimResident() error {
	return db.view(func(tx *bolt.Tx) error { return db.dropMapped(tx.Size()) })
}

// dropMapped drops the first size bytes of the mapping from the resident set. The caller holds a
// transaction, so the mapping cannot move meanwhile (only the writer remaps, and only while it commits
// or allocates pages).
func (db *DB) dropMapped(size int64) error {
	n := uintptr(size) &^ uintptr(syscall.Getpagesize()-1)
	if n == 0 {
		return nil
	}
	if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, db.bolt.Info().Data, n, syscall.MADV_DONTNEED); errno != 0 {
		return errno
	}
	return nil
}

// residentShared is the process's resident file-backed memory (the "shared" field of /proc/self/statm):
// the store's mapped pages and the program's own code. A read costs a few microseconds.
func residentShared() (int64, bool) {
	raw, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return 0, false
	}
	n, err := strconv.ParseInt(f[2], 10, 64)
	return n * int64(syscall.Getpagesize()), err == nil
}
