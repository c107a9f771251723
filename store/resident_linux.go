package store

import (
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// TrimResident drops the store's memory-mapped pages from this process's resident set. bbolt reads
// through a shared, read-only file mapping; every page a bulk load touches stays mapped and counts as
// resident, so a multi-gigabyte pull would grow RSS with the file. MADV_DONTNEED on a shared file
// mapping only unmaps: the data stays in the file and the page cache, and the next read faults it back.
// It runs inside a read transaction, which holds bbolt's mmap lock, so the mapping cannot move meanwhile.
func (db *DB) TrimResident() error {
	return db.view(func(tx *bolt.Tx) error {
		info := db.bolt.Info()
		size := uintptr(tx.Size()) &^ uintptr(syscall.Getpagesize()-1)
		if size == 0 {
			return nil
		}
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, info.Data, size, syscall.MADV_DONTNEED); errno != 0 {
			return errno
		}
		return nil
	})
}
