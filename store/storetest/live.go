package storetest

import (
	"bytes"
	"fmt"
	"os"
)

// FlipInPlace changes the first byte of every copy of needle in the store file at path by writing to
// the file directly, as someone editing it behind trialsync's back would: it works while a process
// holds the store open (and its lock), which bbolt's own Update cannot. A process that has the store
// open sees the change through its memory map. It returns how many copies it changed; needle should be
// text that occurs only in the record to damage (an audit entry's object, say).
func FlipInPlace(path string, needle []byte) (int, error) {
	if len(needle) == 0 {
		return 0, fmt.Errorf("flip in %s: empty needle", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	for off := 0; ; {
		i := bytes.Index(data[off:], needle)
		if i < 0 {
			break
		}
		at := off + i
		if _, err := f.WriteAt([]byte{data[at] ^ 0x20}, int64(at)); err != nil {
			return n, err
		}
		n++
		off = at + len(needle)
	}
	if n == 0 {
		return 0, fmt.Errorf("flip in %s: %q not found", path, needle)
	}
	return n, f.Sync()
}
