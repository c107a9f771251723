package store

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// A checkpoint binds the ledger's length to its tip under the audit key. The store keeps one in
// `meta`, rewritten in the same transaction as every append, so truncation or wholesale recomputation
// is detected; the keyring keeps a copy, refreshed after commits, so that replacing the file with an
// older copy of itself (rollback) is detected too.
type checkpoint struct {
	Count uint64
	Tip   [32]byte
	MAC   [32]byte
}

const (
	checkpointSuffix  = ".checkpoint"
	checkpointVersion = 1
	checkpointLen     = 1 + 8 + 32 + 32
)

var checkpointLabel = []byte("trialsync audit checkpoint v1\x00")

// computeMAC is HMAC-SHA256(key, label | count | tip).
func (c *checkpoint) computeMAC(key []byte) [32]byte {
	m := hmac.New(sha256.New, key)
	m.Write(checkpointLabel)
	m.Write(binary.BigEndian.AppendUint64(nil, c.Count))
	m.Write(c.Tip[:])
	var out [32]byte
	m.Sum(out[:0])
	return out
}

func (c *checkpoint) valid(key []byte) bool {
	want := c.computeMAC(key)
	return hmac.Equal(want[:], c.MAC[:])
}

func (c *checkpoint) marshal() []byte {
	b := make([]byte, 0, checkpointLen)
	b = append(b, checkpointVersion)
	b = binary.BigEndian.AppendUint64(b, c.Count)
	b = append(b, c.Tip[:]...)
	return append(b, c.MAC[:]...)
}

func unmarshalCheckpoint(b []byte) (checkpoint, error) {
	var c checkpoint
	if len(b) != checkpointLen || b[0] != checkpointVersion {
		return c, fmt.Errorf("checkpoint record malformed (%d bytes)", len(b))
	}
	c.Count = binary.BigEndian.Uint64(b[1:])
	copy(c.Tip[:], b[9:41])
	copy(c.MAC[:], b[41:])
	return c, nil
}

// text is the keyring form: "v1 <count> <tip hex> <mac hex>" (public values, no secret).
func (c *checkpoint) text() string {
	return fmt.Sprintf("v1 %d %s %s", c.Count, hex.EncodeToString(c.Tip[:]), hex.EncodeToString(c.MAC[:]))
}

func parseCheckpointText(s string) (checkpoint, error) {
	var c checkpoint
	f := strings.Fields(s)
	if len(f) != 4 || f[0] != "v1" {
		return c, fmt.Errorf("keyring checkpoint malformed")
	}
	n, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return c, fmt.Errorf("keyring checkpoint count: %w", err)
	}
	c.Count = n
	if err := decodeHex32(f[2], &c.Tip); err != nil {
		return c, err
	}
	return c, decodeHex32(f[3], &c.MAC)
}

func decodeHex32(s string, dst *[32]byte) error {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return fmt.Errorf("keyring checkpoint: bad hash %q", s)
	}
	copy(dst[:], b)
	return nil
}
