package store

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"time"
)

// Audit entry layout in the `audit` bucket (key: 8-byte big-endian Seq):
//
//	value = version(1) | canonical | hash(32) | mac(32)
//	canonical = seq(8) | unix nanos(8) | 9 × (uvarint len | bytes) | prev(32)
//	hash = SHA-256(canonical); mac = HMAC-SHA256(audit key, hash)
//
// The canonical bytes are stored as hashed, so verification hashes the stored bytes without
// re-encoding them. The per-entry MAC lets verification name the first entry of a chain that was
// recomputed by someone without the key.
const (
	entryVersion = 1
	sumLen       = sha256.Size
	macLen       = sha256.Size
	trailerLen   = sumLen + macLen
	headLen      = 1 + 8 + 8
	minEntryLen  = headLen + 9 + sumLen + trailerLen
)

var errShortEntry = errors.New("entry too short")

// encodeCanonical appends the canonical bytes of e (everything the entry hash covers) to dst.
func encodeCanonical(dst []byte, e *Entry) []byte {
	dst = binary.BigEndian.AppendUint64(dst, e.Seq)
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.Time.UnixNano()))
	for _, s := range [...]string{e.RunID, e.CorrelationID, e.Actor, e.Action, e.Object, e.Old, e.New, e.Reason, e.PayloadHash} {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	return append(dst, e.Prev[:]...)
}

// sealer hashes and MACs entries, reusing its hash states across entries.
type sealer struct {
	mac hash.Hash // nil without a key
}

func newSealer(key []byte) *sealer {
	s := &sealer{}
	if key != nil {
		s.mac = hmac.New(sha256.New, key)
	}
	return s
}

func (s *sealer) macOf(sum []byte, dst []byte) []byte {
	s.mac.Reset()
	s.mac.Write(sum)
	return s.mac.Sum(dst)
}

// seal fills e.Hash and returns the stored value.
func (s *sealer) seal(e *Entry) []byte {
	buf := make([]byte, 1, 256)
	buf[0] = entryVersion
	buf = encodeCanonical(buf, e)
	e.Hash = sha256.Sum256(buf[1:])
	buf = append(buf, e.Hash[:]...)
	return s.macOf(e.Hash[:], buf)
}

// storedParts splits a stored value without decoding its strings.
func storedParts(v []byte) (canonical, sum, mac []byte, err error) {
	if len(v) < minEntryLen {
		return nil, nil, nil, errShortEntry
	}
	if v[0] != entryVersion {
		return nil, nil, nil, fmt.Errorf("unknown entry version %d", v[0])
	}
	n := len(v) - trailerLen
	return v[1:n], v[n : n+sumLen], v[n+sumLen:], nil
}

// canonicalSeq and canonicalPrev read the fixed fields of canonical bytes.
func canonicalSeq(c []byte) uint64  { return binary.BigEndian.Uint64(c) }
func canonicalPrev(c []byte) []byte { return c[len(c)-sumLen:] }

// decodeEntry decodes a stored value. Strings are copied, so the entry outlives the transaction.
func decodeEntry(v []byte) (Entry, error) {
	var e Entry
	c, sum, _, err := storedParts(v)
	if err != nil {
		return e, err
	}
	e.Seq = binary.BigEndian.Uint64(c)
	e.Time = time.Unix(0, int64(binary.BigEndian.Uint64(c[8:]))).UTC()
	rest, err := readStrings(c[16:len(c)-sumLen], &e.RunID, &e.CorrelationID, &e.Actor, &e.Action, &e.Object,
		&e.Old, &e.New, &e.Reason, &e.PayloadHash)
	if err != nil {
		return e, err
	}
	if len(rest) != 0 {
		return e, errors.New("trailing bytes after fields")
	}
	copy(e.Prev[:], canonicalPrev(c))
	copy(e.Hash[:], sum)
	return e, nil
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq) }
