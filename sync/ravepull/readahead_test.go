package ravepull

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

func TestReadAheadDeliversEveryByte(t *testing.T) {
	for _, size := range []int{0, 1, readAheadChunk - 1, readAheadChunk, readAheadChunk*5 + 17} {
		src := make([]byte, size)
		for i := range src {
			src[i] = byte(rand.IntN(256))
		}
		ra := newReadAhead(iotest.HalfReader(bytes.NewReader(src)))
		got, err := io.ReadAll(iotest.OneByteReader(struct{ io.Reader }{ra}))
		ra.Close()
		if err != nil || !bytes.Equal(got, src) {
			t.Fatalf("size %d: got %d bytes, err %v", size, len(got), err)
		}
	}
}

func TestReadAheadPassesErrorsAfterData(t *testing.T) {
	boom := errors.New("connection reset")
	src := io.MultiReader(bytes.NewReader(make([]byte, 1000)), iotest.ErrReader(boom))
	ra := newReadAhead(src)
	defer ra.Close()
	got, err := io.ReadAll(ra)
	if len(got) != 1000 || !errors.Is(err, boom) {
		t.Fatalf("got %d bytes, err %v", len(got), err)
	}
}
