package sim

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"net/http"
	"strconv"
)

// writeEndless answers 200 with f's Head and then f's Unit for ever, through the answer writer (so
// gzip and trickle still apply), until the client stops reading or the request ends.
func writeEndless(a *answer, r *http.Request, f Filler) {
	if f.ContentType != "" {
		a.Header().Set("Content-Type", f.ContentType)
	}
	a.WriteHeader(http.StatusOK)
	if _, err := a.Write(f.Head); err != nil {
		return
	}
	unit := f.Unit
	if len(unit) == 0 {
		unit = []byte(" ")
	}
	// Write in pieces of at least 32 KiB so that an endless answer costs little CPU per byte.
	chunk := bytes.Repeat(unit, max(1, (32<<10)/len(unit)))
	for r.Context().Err() == nil {
		if _, err := a.Write(chunk); err != nil {
			return
		}
	}
}

// BombSize is how many bytes a gzip bomb's filler inflates to (Head and Tail come on top).
const BombSize = 400 << 20

// writeBomb answers 200 with a gzip body (Content-Encoding: gzip whatever the client accepted, as a
// hostile server would) that inflates to f.Head, f.Unit repeated to BombSize bytes, and f.Tail:
// about 0.4 MB on the wire for 400 MiB inflated.
func writeBomb(w http.ResponseWriter, f Filler) {
	body := gzipBomb(f, BombSize)
	if f.ContentType != "" {
		w.Header().Set("Content-Type", f.ContentType)
	}
	w.Header().Set("Content-Encoding", "gzip")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// gzipBomb builds a bomb whose filler inflates to about size bytes (at least two 1 MiB chunks)
// without compressing them all: one deflate stream in which a 1 MiB chunk of units, compressed once
// after a chunk exactly like it, is repeated. After a sync flush the
// compressor's output is byte-aligned and refers back at most 32 KiB, which the previous chunk
// filled with the same bytes, so the repeated piece decodes to the same chunk wherever it is put.
// The CRC-32 and length in the gzip trailer are computed over the whole inflated body.
func gzipBomb(f Filler, size int) []byte {
	unit := f.Unit
	if len(unit) == 0 {
		unit = []byte("A")
	}
	chunk := bytes.Repeat(unit, max(1, (1<<20)/len(unit)))
	n := max(2, size/len(chunk))

	var out bytes.Buffer
	out.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255}) // gzip header: deflate, no name, best compression, unknown OS
	zw, _ := flate.NewWriter(&out, flate.BestCompression)
	_, _ = zw.Write(f.Head)
	_, _ = zw.Write(chunk)
	_ = zw.Flush()
	start := out.Len()
	_, _ = zw.Write(chunk)
	_ = zw.Flush()
	piece := append([]byte(nil), out.Bytes()[start:]...)
	for range n - 2 {
		out.Write(piece)
	}
	_, _ = zw.Write(f.Tail)
	_ = zw.Close()

	crc := crc32.Update(0, crc32.IEEETable, f.Head)
	for range n {
		crc = crc32.Update(crc, crc32.IEEETable, chunk)
	}
	crc = crc32.Update(crc, crc32.IEEETable, f.Tail)
	isize := uint32(len(f.Head) + n*len(chunk) + len(f.Tail)) // the length modulo 2^32, as gzip stores it
	out.Write(binary.LittleEndian.AppendUint32(nil, crc))
	out.Write(binary.LittleEndian.AppendUint32(nil, isize))
	return out.Bytes()
}
