//go:build !linux

package store

// TrimResident is a no-op where the kernel's page reclaim handles mapped files on its own terms.
func (db *DB) TrimResident() error { return nil }

func (db *DB) dropMapped(int64) error { return nil }

func residentShared() (int64, bool) { return 0, false }
