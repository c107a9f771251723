package store

import (
	"encoding/binary"
	"strings"
)

// Key is a record key as stored: compact bytes that sort the way the records should be listed.
//
// A composite key (NewKey) is its parts joined by 0x00. 0x00 sorts below every other byte, so keys sort
// part by part, and a key of leading parts selects a subtree (Table.Walk). A 0x00 or 0x01 inside a
// part is escaped as 0x01 0x01 or 0x01 0x02, which keeps both properties; text from XML never holds
// either byte, so in practice a key is its parts as written, separated by 0x00.
//
// A sequence key (SeqKey) is the number as 8 big-endian bytes, so that numbers sort numerically.
type Key []byte

// NewKey builds a composite key from its parts, most significant first (e.g. study, subject).
func NewKey(parts ...string) Key {
	n := len(parts)
	for _, p := range parts {
		n += len(p)
	}
	k := make(Key, 0, n)
	for i, p := range parts {
		if i > 0 {
			k = append(k, 0)
		}
		for j := 0; j < len(p); j++ {
			switch c := p[j]; c {
			case 0, 1:
				k = append(k, 1, c+1)
			default:
				k = append(k, c)
			}
		}
	}
	return k
}

// SeqKey is the key of record number n in a sequence-keyed bucket.
func SeqKey(n uint64) Key { return binary.BigEndian.AppendUint64(make(Key, 0, 8), n) }

// Parts splits a composite key into its parts (copies, valid after the transaction).
func (k Key) Parts() []string {
	var parts []string
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		switch c := k[i]; {
		case c == 0:
			parts = append(parts, b.String())
			b.Reset()
		case c == 1 && i+1 < len(k):
			i++
			b.WriteByte(k[i] - 1)
		default:
			b.WriteByte(c)
		}
	}
	return append(parts, b.String())
}

// Seq reads a sequence key; ok is false when k is not one.
func (k Key) Seq() (n uint64, ok bool) {
	if len(k) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(k), true
}

// String shows a composite key as its parts joined by "/", for messages.
func (k Key) String() string { return strings.Join(k.Parts(), "/") }

// covers reports whether k lies in the subtree of prefix: equal to it, or prefix followed by more parts.
func (prefix Key) covers(k []byte) bool {
	if len(prefix) == 0 {
		return true
	}
	if len(k) < len(prefix) || string(k[:len(prefix)]) != string(prefix) {
		return false
	}
	return len(k) == len(prefix) || k[len(prefix)] == 0
}
