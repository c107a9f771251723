package exposure

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// BenchmarkDecodeCSV measures reading and validating dose records (records/s is b.N records per second).
func BenchmarkDecodeCSV(b *testing.B) {
	input := csvOf(10000, 0)
	b.SetBytes(int64(len(input) / 10000)) // per record
	b.ResetTimer()
	n := 0
	for n < b.N {
		d, err := NewDecoder(strings.NewReader(input), "f.csv", testRules)
		if err != nil {
			b.Fatal(err)
		}
		for n < b.N {
			if _, err := d.Next(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
}

// BenchmarkBody measures writing one first-send log line as an ODM body.
func BenchmarkBody(b *testing.B) {
	s, _ := Plan(LogLine{Key: Key{"101-001", "EX_INH", "2024-11-03"}, Site: "101",
		Values: Values{StartTime: "08:30", Prescribed: "2", Taken: "2", Mode: "Video", WithFood: "Yes"}}, nil)
	h := Header{FileOID: "f", Created: testCreated}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := testMapping.Body(h, []Send{s}); err != nil {
			b.Fatal(err)
		}
	}
}
