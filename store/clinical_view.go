package store

import (
	"bytes"
	"fmt"
)

// walkClinical calls fn with every stored clinical key at or above from (nil: from the first) while
// within(key) holds (nil: to the last), in key order, with the staged rows merged in: a key's value is
// the clinical bucket's, then each staged row of that key in arrival order, applied by Write's rules.
// This is what the clinical bucket will hold once every staged run is merged, and what it held all
// along for keys a merge in progress has passed, so a reader never sees a merge half done. The slices
// are valid until the transaction ends.
func (tx *Tx) walkClinical(from []byte, within func(k []byte) bool, fn func(k, v []byte) error) error {
	b := tx.bucket(BucketClinical)
	if b == nil {
		return fmt.Errorf("store %s: bucket %s missing; run trialsync audit verify", tx.db.path, BucketClinical)
	}
	m, err := tx.openRuns("", from)
	if err != nil {
		return err
	}
	c := b.Cursor()
	var ck, cv []byte
	if from == nil {
		ck, cv = c.First()
	} else {
		ck, cv = c.Seek(from)
	}
	for {
		if ck != nil && within != nil && !within(ck) {
			ck = nil
		}
		mk := m.peek()
		if mk != nil && within != nil && !within(mk) {
			mk = nil
		}
		switch {
		case ck == nil && mk == nil:
			return nil
		case mk == nil || ck != nil && bytes.Compare(ck, mk) < 0:
			if err := fn(ck, cv); err != nil {
				return err
			}
			ck, cv = c.Next()
			continue
		}
		var cur []byte
		if ck != nil && bytes.Equal(ck, mk) {
			cur = cv
			ck, cv = c.Next()
		}
		err := m.take(mk, func(v []byte) {
			if cur == nil || supersedes(cur, v) {
				cur = v
			}
		})
		if err != nil {
			return err
		}
		if err := fn(mk, cur); err != nil {
			return err
		}
	}
}
