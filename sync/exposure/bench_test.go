package exposure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/store/storetest"
	"github.com/trialsync/trialsync/sync/outbox"
	"github.com/trialsync/trialsync/sync/rws"
	simrws "github.com/trialsync/trialsync/sync/sim/rws"
	"github.com/trialsync/trialsync/sync/sim/simtest"
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

// BenchmarkDeliver queues b.N dose records (each its own log line, over 300 subjects) and delivers them
// to the RWS simulator on loopback through the outbox: the engine's cost per message, store and HTTP
// included (the simulator shares the process).
func BenchmarkDeliver(b *testing.B) {
	sim := simtest.Start(b, simrws.Start, simrws.Options{SubjectsPerSite: 100, NoGzip: true})
	o := sim.Options()
	c, err := rws.New(rws.Config{BaseURL: sim.URL(), Auth: rws.BasicAuth(o.User, o.Password), RequestsPerSecond: 1e6, Burst: 1000})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	db := storetest.Open(b, store.Options{})
	ob := outbox.New(db, outbox.Options{})
	lines := NewLines(db, study, ob.Notify)
	ob.Register(outbox.KindExposure, NewSender(lines, Mapping{StudyOID: study, StudyEvent: "SM"},
		func(context.Context) (Poster, error) { return c, nil }), outbox.Policy{})
	recs := make([]Record, b.N)
	day0 := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	for i := range recs {
		s := i % 300
		drug := []string{"Isoniazid", "Rifapentine"}[(i/300)%2]
		subject := fmt.Sprintf("%d-%03d", 101+s/100, s%100+1)
		recs[i] = dose(subject, drug, day0.AddDate(0, 0, i/600).Format(time.DateOnly), "1")
	}
	b.ResetTimer()
	for start := 0; start < len(recs); start += ImportBatch {
		if _, err := lines.Import(b.Context(), recs[start:min(start+ImportBatch, len(recs))], "bench"); err != nil {
			b.Fatal(err)
		}
	}
	rep, err := ob.Deliver(b.Context(), outbox.DeliverOptions{})
	if err != nil || rep.Sent != b.N {
		b.Fatalf("report %+v, %v", rep, err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
