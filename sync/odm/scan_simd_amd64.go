//go:build goexperiment.simd && amd64

package odm

import (
	"math/bits"
	"simd/archsimd"
)

// The byte scans with GOEXPERIMENT=simd on amd64: 32 bytes at a time with AVX2 where the processor has
// it, a word at a time otherwise. An experiment: the default build does not use this file (see
// scan_words.go), and the README says what it measured.

var hasAVX2 = archsimd.X86.AVX2()

func plainRun(b []byte, i int) int {
	if !hasAVX2 {
		return plainRunWords(b, i)
	}
	space := archsimd.BroadcastInt8x32(0x20)
	lf, tab, cr := archsimd.BroadcastInt8x32('\n'), archsimd.BroadcastInt8x32('\t'), archsimd.BroadcastInt8x32('\r')
	for i+32 <= len(b) {
		x := archsimd.LoadUint8x32Slice(b[i : i+32]).AsInt8x32()
		// signed: the bytes of 0x80 and more are below 0x20 too
		m := x.Less(space).ToBits() &^ x.Equal(lf).Or(x.Equal(tab)).Or(x.Equal(cr)).ToBits()
		if m != 0 {
			return i + bits.TrailingZeros32(m)
		}
		i += 32
	}
	return plainRunWords(b, i)
}

func scanText(b []byte, j int) int {
	if !hasAVX2 {
		return scanTextWords(b, j)
	}
	amp, cr := archsimd.BroadcastUint8x32('&'), archsimd.BroadcastUint8x32('\r')
	rsb, lt := archsimd.BroadcastUint8x32(']'), archsimd.BroadcastUint8x32('<')
	for j+32 <= len(b) {
		x := archsimd.LoadUint8x32Slice(b[j : j+32])
		if m := x.Equal(amp).Or(x.Equal(cr)).Or(x.Equal(rsb)).Or(x.Equal(lt)).ToBits(); m != 0 {
			return j + bits.TrailingZeros32(m)
		}
		j += 32
	}
	return scanTextWords(b, j)
}

func scanAttrValue(b []byte, j int) int {
	if !hasAVX2 {
		return scanAttrValueWords(b, j)
	}
	space, lt, amp := archsimd.BroadcastUint8x32(0x20), archsimd.BroadcastUint8x32('<'), archsimd.BroadcastUint8x32('&')
	quot, apos := archsimd.BroadcastUint8x32('"'), archsimd.BroadcastUint8x32('\'')
	for j+32 <= len(b) {
		x := archsimd.LoadUint8x32Slice(b[j : j+32])
		m := x.Less(space).Or(x.Equal(lt)).Or(x.Equal(amp)).Or(x.Equal(quot)).Or(x.Equal(apos)).ToBits()
		if m != 0 {
			return j + bits.TrailingZeros32(m)
		}
		j += 32
	}
	return scanAttrValueWords(b, j)
}
