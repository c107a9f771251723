package exposure

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecoder: whatever the bytes, the decoder ends (io.EOF or a *FileError), never panics, reports
// lines in file order, and every record it calls valid passes Check again unchanged; a rejected record
// carries a reason and no record. Seeds: the intake fixtures. Run the fuzzer with
// go test -run '^$' -fuzz FuzzDecoder -fuzztime 30s ./sync/exposure/
func FuzzDecoder(f *testing.F) {
	for _, name := range []string{"doses.csv", "doses.jsonl"} {
		b, err := os.ReadFile(filepath.Join("testdata", "intake", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("subject,site\n\"a\nb"))
	f.Add([]byte("{\"subject\":1}\n\xff{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := NewDecoder(bytes.NewReader(data), "f", testRules)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("NewDecoder error %T %v", err, err)
			}
			return
		}
		last := 0
		for n := 0; ; n++ {
			if n > len(data)+1 {
				t.Fatal("more entries than bytes")
			}
			e, err := d.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				var fe *FileError
				if !errors.As(err, &fe) {
					t.Fatalf("Next error %T %v", err, err)
				}
				return
			}
			if e.Line < 1 || e.Line < last {
				t.Fatalf("line %d after %d", e.Line, last)
			}
			last = e.Line
			if e.Reason != "" {
				if e.Record != (Record{}) {
					t.Fatalf("rejected entry with a record: %+v", e)
				}
				continue
			}
			again, err := testRules.Check(Input{Subject: e.Record.Subject, Site: e.Record.Site, Drug: e.Record.Drug,
				StartDate: e.Record.StartDate, StartTime: e.Record.StartTime, Prescribed: e.Record.Prescribed,
				Taken: e.Record.Taken, Mode: e.Record.Mode, WithFood: e.Record.WithFood})
			if err != nil || again != e.Record {
				t.Fatalf("valid record %+v does not pass Check again: %v", e.Record, err)
			}
		}
	})
}
