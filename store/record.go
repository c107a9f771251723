package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// Low-volume records (cursors, quarantine, queue state) are stored as a version byte followed by JSON:
// readable in a debugger, cheap enough at their rates, and able to grow fields without a migration.
// High-volume rows (clinical values, audit entries) use compact binary encodings of their own.
const jsonRecordVersion = 1

func putJSON(b interface{ Put(k, v []byte) error }, key []byte, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, append([]byte{jsonRecordVersion}, body...))
}

func getJSON(raw []byte, v any) error {
	if len(raw) == 0 || raw[0] != jsonRecordVersion {
		return fmt.Errorf("record version %v unknown", first(raw))
	}
	return json.Unmarshal(raw[1:], v)
}

func first(b []byte) any {
	if len(b) == 0 {
		return "none"
	}
	return b[0]
}

// appendStrings encodes strings as uvarint length + bytes, the building block of binary records.
func appendStrings(dst []byte, ss ...string) []byte {
	for _, s := range ss {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	return dst
}

// errRecord reports a stored record whose field lengths do not fit its bytes.
var errRecord = errors.New("record malformed: field length out of range")

// nextField splits one uvarint-length field off b without copying.
func nextField(b []byte) (field, rest []byte, ok bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return nil, nil, false
	}
	return b[k : k+int(n)], b[k+int(n):], true
}

// readStrings decodes len(dst) strings (copies) from b and returns the rest.
func readStrings(b []byte, dst ...*string) ([]byte, error) {
	for _, d := range dst {
		f, rest, ok := nextField(b)
		if !ok {
			return nil, errRecord
		}
		*d, b = string(f), rest
	}
	return b, nil
}

// joinKey builds a composite key whose byte order is the order of its parts compared one by one: parts
// are separated by 0x00, which sorts below every other byte and never occurs in XML text.
func joinKey(dst []byte, parts ...string) []byte {
	for i, p := range parts {
		if i > 0 {
			dst = append(dst, 0)
		}
		dst = append(dst, p...)
	}
	return dst
}
