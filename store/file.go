package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"runtime"
)

// Checks on the store file made before bbolt maps it.

// boltMeta is the part of a bbolt meta page the size check needs (bbolt's internal/common/meta.go:
// magic, version, page size, flags, root bucket (16 bytes), free list page, high-water page id, txid,
// then an FNV-64a checksum of everything before it), little-endian as on every platform we build for.
type boltMeta struct {
	pageSize uint32
	pgid     uint64 // high-water mark: pages [0, pgid) are in use or free
	txid     uint64
}

const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	boltPageHeader = 16 // id, flags, count, overflow
	boltMetaLen    = 56 // bytes covered by the checksum, which follows them
)

// parseBoltMeta reads the meta page whose page starts at page[0]; ok is false when it does not validate.
func parseBoltMeta(page []byte) (m boltMeta, ok bool) {
	if len(page) < boltPageHeader+boltMetaLen+8 {
		return m, false
	}
	b := page[boltPageHeader:]
	if binary.LittleEndian.Uint32(b) != boltMagic || binary.LittleEndian.Uint32(b[4:]) != boltVersion {
		return m, false
	}
	h := fnv.New64a()
	h.Write(b[:boltMetaLen])
	if h.Sum64() != binary.LittleEndian.Uint64(b[boltMetaLen:]) {
		return m, false
	}
	m = boltMeta{pageSize: binary.LittleEndian.Uint32(b[8:]), pgid: binary.LittleEndian.Uint64(b[40:]),
		txid: binary.LittleEndian.Uint64(b[48:])}
	return m, m.pageSize >= 1024 && m.pageSize&(m.pageSize-1) == 0
}

// newestMeta returns the valid meta page with the highest transaction ID, the one bbolt will use, trying
// the page sizes bbolt itself tries for the second page when the first is unreadable.
func newestMeta(f io.ReaderAt, size int64) (boltMeta, bool) {
	buf := make([]byte, 4096)
	var best boltMeta
	found := false
	consider := func(off int64) {
		n, _ := f.ReadAt(buf, off)
		if m, ok := parseBoltMeta(buf[:n]); ok && (!found || m.txid > best.txid) {
			best, found = m, true
		}
	}
	consider(0)
	if found {
		consider(int64(best.pageSize))
		return best, true
	}
	for i := 0; i <= 14; i++ {
		if off := int64(1024) << i; off < size {
			consider(off)
		}
	}
	return best, found
}

// checkSize refuses a file shorter than its own header says. bbolt maps the whole file, and reading a
// page past its end is a SIGBUS that kills the process with a stack dump instead of an error.
func checkSize(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("store %s: %w", path, err)
	}
	m, ok := newestMeta(f, fi.Size())
	if !ok {
		return nil // not bbolt, or both headers damaged: bbolt's own checks say which
	}
	if want := int64(m.pgid) * int64(m.pageSize); fi.Size() < want {
		return fmt.Errorf("store %s: %w: the file holds %d bytes, its header says %d (truncated); restore it from a backup or move it aside",
			path, ErrDamaged, fi.Size(), want)
	}
	return nil
}

// privateMode makes the store file readable and writable by its owner only, as ssh insists for private
// keys: the store holds clinical data. It returns the mode the file had and the mode it has now. A file
// it cannot tighten (owned by someone else) is refused with the reason.
func privateMode(path string, chmod func(string, fs.FileMode) error) (was, now fs.FileMode, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, 0, fmt.Errorf("store %s: %w", path, err)
	}
	mode := fi.Mode().Perm()
	if mode&0o077 == 0 || runtime.GOOS == "windows" { // Windows: permissions are ACLs, not mode bits
		return mode, mode, nil
	}
	if err := chmod(path, mode&0o700); err != nil {
		if errors.Is(err, fs.ErrPermission) {
			err = errors.New("not its owner")
		}
		return mode, mode, fmt.Errorf("store %s is readable by other users (mode %04o) and cannot be made private (%v); its owner can fix it with chmod 600 %s",
			path, mode, err, path)
	}
	return mode, mode & 0o700, nil
}
