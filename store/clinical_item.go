package store

import (
	"bytes"
	"errors"
	"fmt"
)

// WalkClinicalItem calls fn for every stored value of one item (by ItemOID) of one study, in
// natural-key order: how the subject push reads each subject's randomized arm (the study's
// arm_item) after every pull. It reads the study's keys only (staged rows included, see
// Tx.StageClinical), decoding the rows of that item and no others, so that it stays cheap on a store
// of many millions of rows; and it runs in the caller's transaction, so that what it read and what
// the caller decides from it commit together.
func (tx *Tx) WalkClinicalItem(study, item string, fn func(ClinicalKey, ClinicalValue) error) error {
	prefix := joinKey(nil, study, "")  // the study's part and its separator
	suffix := joinKey([]byte{0}, item) // the item's part, last in the key
	within := func(k []byte) bool { return bytes.HasPrefix(k, prefix) }
	err := tx.walkClinical(prefix, within, func(k, v []byte) error {
		if !bytes.HasSuffix(k, suffix) {
			return nil
		}
		key, err := decodeClinicalKey(k)
		if err != nil || key.Item != item {
			return nil // an item whose OID ends like this one's, or a key that decodes otherwise
		}
		val, err := decodeClinicalValue(v)
		if err != nil {
			return fmt.Errorf("clinical value at %q: %w", k, err)
		}
		return fn(key, val)
	})
	if errors.Is(err, StopWalk) {
		return nil
	}
	return err
}
