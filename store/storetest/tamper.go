package storetest

// The tampers below know the ledger's stored layout (store/ledger.go) on purpose, as an attacker reading
// the source would, and go through bbolt directly, never through the store package.

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	auditBucket = []byte("audit")
	metaBucket  = []byte("meta")
)

const trailer = 64 // hash(32) | mac(32) after the canonical bytes

// A Tamper damages the closed store at path. seq names the entry to damage where that applies.
type Tamper func(path string, seq uint64) error

func key(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func update(path string, fn func(audit, meta *bolt.Bucket) error) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		a, m := tx.Bucket(auditBucket), tx.Bucket(metaBucket)
		if a == nil || m == nil {
			return fmt.Errorf("no audit or meta bucket")
		}
		return fn(a, m)
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return err
}

// ChangeField changes one letter of the entry's action text: its content, not its links, and the
// entry still decodes.
func ChangeField(path string, seq uint64) error {
	return update(path, func(a, _ *bolt.Bucket) error {
		v := clone(a.Get(key(seq)))
		if v == nil {
			return fmt.Errorf("no entry %d", seq)
		}
		// version(1) seq(8) time(8), then uvarint-length strings: run ID, correlation ID, actor, action.
		off := 17
		for range 3 {
			n, k := binary.Uvarint(v[off:])
			off += k + int(n)
		}
		n, k := binary.Uvarint(v[off:])
		if n == 0 {
			return fmt.Errorf("entry %d has an empty action", seq)
		}
		v[off+k] ^= 0x20 // upper/lower case of the first letter
		return a.Put(key(seq), v)
	})
}

// CorruptLength flips the length byte of the entry's last text field, so the entry no longer decodes.
func CorruptLength(path string, seq uint64) error {
	return update(path, func(a, _ *bolt.Bucket) error {
		v := clone(a.Get(key(seq)))
		if v == nil {
			return fmt.Errorf("no entry %d", seq)
		}
		v[len(v)-trailer-32-1] ^= 0x40
		return a.Put(key(seq), v)
	})
}

// DeleteEntry removes the entry.
func DeleteEntry(path string, seq uint64) error {
	return update(path, func(a, _ *bolt.Bucket) error { return a.Delete(key(seq)) })
}

// SwapEntries exchanges the entry with the one after it.
func SwapEntries(path string, seq uint64) error {
	return update(path, func(a, _ *bolt.Bucket) error {
		x, y := clone(a.Get(key(seq))), clone(a.Get(key(seq+1)))
		if x == nil || y == nil {
			return fmt.Errorf("no entries %d and %d", seq, seq+1)
		}
		if err := a.Put(key(seq), y); err != nil {
			return err
		}
		return a.Put(key(seq+1), x)
	})
}

// TruncateTail deletes every entry from seq on, leaving the checkpoint as it was.
func TruncateTail(path string, seq uint64) error {
	return update(path, func(a, _ *bolt.Bucket) error {
		c := a.Cursor()
		for k, _ := c.Seek(key(seq)); k != nil; k, _ = c.Seek(key(seq)) {
			if err := a.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// RecomputeWithoutKey changes the entry's content, then re-hashes and re-links every entry from it to
// the tip and rewrites the checkpoint, using a key of its own: everything an attacker without the
// audit key can do.
func RecomputeWithoutKey(path string, seq uint64) error {
	forged := make([]byte, 32)
	_, _ = rand.Read(forged)
	return update(path, func(a, m *bolt.Bucket) error {
		var prev []byte
		if seq > 1 {
			p := a.Get(key(seq - 1))
			prev = clone(p[len(p)-trailer : len(p)-32])
		} else {
			prev = make([]byte, 32)
		}
		var count uint64
		c := a.Cursor()
		for k, v := c.Seek(key(seq)); k != nil; k, v = c.Next() {
			v = clone(v)
			canon := v[1 : len(v)-trailer]
			if binary.BigEndian.Uint64(k) == seq {
				canon[len(canon)-32-1] ^= 0x20 // the change being hidden
			}
			copy(canon[len(canon)-32:], prev)
			sum := sha256.Sum256(canon)
			mac := hmac.New(sha256.New, forged)
			mac.Write(sum[:])
			copy(v[len(v)-trailer:], sum[:])
			copy(v[len(v)-32:], mac.Sum(nil))
			if err := a.Put(k, v); err != nil {
				return err
			}
			prev = sum[:]
			count = binary.BigEndian.Uint64(k)
		}
		cp := []byte{1}
		cp = binary.BigEndian.AppendUint64(cp, count)
		cp = append(cp, prev...)
		cp = append(cp, make([]byte, 32)...)
		return m.Put([]byte("checkpoint"), cp)
	})
}

// Count returns the number of audit entries in the store file.
func Count(path string) (int, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second, ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	n := 0
	err = db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(auditBucket).Stats().KeyN
		return nil
	})
	return n, err
}

// SetSchema overwrites the store's schema version, e.g. to fake a store from a newer trialsync.
func SetSchema(path string, v uint64) error {
	return update(path, func(_, m *bolt.Bucket) error {
		return m.Put([]byte("schema"), binary.AppendUvarint(nil, v))
	})
}

// MarkUnclean sets the store's "open" flag as a process killed mid-run leaves it.
func MarkUnclean(path string) error {
	return update(path, func(_, m *bolt.Bucket) error { return m.Put([]byte("open"), []byte("1")) })
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// Truncate cuts the store file to frac of the data its header says it holds (bbolt preallocates, so the
// file is often longer than that, and cutting only the spare space would damage nothing). With aligned
// the cut falls on a 4 KiB page boundary, otherwise in the middle of a page.
func Truncate(path string, frac float64, aligned bool) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second, ReadOnly: true})
	if err != nil {
		return err
	}
	var size int64
	err = db.View(func(tx *bolt.Tx) error { size = tx.Size(); return nil })
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	cut := int64(float64(size) * frac)
	if cut &^= 4095; !aligned {
		cut += 1000
	}
	return os.Truncate(path, cut)
}
