package odm

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
	"unicode/utf8"
)

// The seed corpus is testdata/fuzz/<target>/: the fixtures of the top-level testdata/odm, and what
// fuzzing has found worth keeping. make fuzz-odm runs each target for a bounded time.

// FuzzTokenizer: any input ends in tokEOF or an error, in a bounded number of tokens, without panic;
// after an error every call returns it again; text is valid UTF-8.
func FuzzTokenizer(f *testing.F) {
	f.Add([]byte(`<a xmlns="urn:x" b='1'><!--c--><![CDATA[d]]>&amp;<e/></a>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, size := range []int{7, 4096} {
			var s scanner
			s.reset(bytes.NewReader(data), size)
			s.w.maxToken = 1 << 16
			var err error
			for n := 0; ; n++ {
				if n > len(data)+2 {
					t.Fatalf("buffer %d: %d tokens from %d bytes", size, n, len(data))
				}
				if err = s.next(); err != nil || s.kind == tokEOF {
					break
				}
				if s.kind == tokText && !utf8.Valid(s.text) {
					t.Fatalf("buffer %d: invalid UTF-8 text %q", size, s.text)
				}
			}
			if err != nil {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("buffer %d: error %T %v is not a *SyntaxError", size, err, err)
				}
				if err2 := s.next(); err2 != err {
					t.Fatalf("buffer %d: error not sticky: %v then %v", size, err, err2)
				}
			}
		}
	})
}

// FuzzReader: rows or errors only, the same whatever the window size; a block error's range lies in
// the input and its fragment is exactly those bytes; after a fatal error the Reader stays stopped.
func FuzzReader(f *testing.F) {
	f.Add([]byte(`<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><ClinicalData StudyOID="S" MetaDataVersionOID="1"><SubjectData SubjectKey="1"><StudyEventData StudyEventOID="E"><FormData FormOID="F"><ItemGroupData ItemGroupOID="G"><ItemData ItemOID="I" Value="v"/></ItemGroupData></FormData></StudyEventData></SubjectData></ClinicalData></ODM>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		small := readAll(t, data, BufferSize(37), CaptureFragments(BlockSubject), MaxTokenSize(1<<16))
		large := readAll(t, data, CaptureFragments(BlockSubject), MaxTokenSize(1<<16))
		if !reflect.DeepEqual(small.rows, large.rows) || errString(small.err) != errString(large.err) ||
			!reflect.DeepEqual(small.blocks, large.blocks) {
			t.Fatalf("window size changes the result:\nsmall: %d rows, %v, %d blocks\nlarge: %d rows, %v, %d blocks",
				len(small.rows), small.err, len(small.blocks), len(large.rows), large.err, len(large.blocks))
		}
		plainUTF8 := bytes.HasPrefix(data, []byte("<")) && !bytes.Contains(data[:min(len(data), 200)], []byte("encoding"))
		for _, be := range large.blocks {
			if be.Start < 0 || be.End <= be.Start || (plainUTF8 && be.End > int64(len(data))) {
				t.Fatalf("block range %d-%d, input %d bytes", be.Start, be.End, len(data))
			}
			if plainUTF8 && be.Fragment != nil && !bytes.Equal(be.Fragment, data[be.Start:be.End]) {
				t.Fatalf("fragment %q is not the input's bytes %d-%d", be.Fragment, be.Start, be.End)
			}
		}
		if large.err != nil && !errors.Is(large.err, io.EOF) {
			var se *SyntaxError
			if !errors.As(large.err, &se) {
				t.Fatalf("error %T %v is neither a *SyntaxError nor a read error", large.err, large.err)
			}
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
