package rws

import (
	"bytes"
	"io"
	"testing"
	"time"

	simrws "github.com/trialsync/trialsync/sync/sim/rws"
	"github.com/trialsync/trialsync/sync/sim/simtest"
)

// countingDiscard counts bytes and ItemData elements of a stream without keeping it.
type countingDiscard struct{ bytes, items int64 }

func (c *countingDiscard) Write(p []byte) (int, error) {
	c.bytes += int64(len(p))
	c.items += int64(bytes.Count(p, []byte("<ItemData ")))
	return len(p), nil
}

// BenchmarkDatasetStream measures the simulator and client together on loopback: a full clinical
// view streamed through the client (gzip off, as a LAN tenant would be; gzip on costs the sim's CPU).
func BenchmarkDatasetStream(b *testing.B) {
	for _, gz := range []bool{false, true} {
		name := "plain"
		if gz {
			name = "gzip"
		}
		b.Run(name, func(b *testing.B) {
			s := simtest.Start(b, simrws.Start, simrws.Options{SubjectsPerSite: 100, Visits: 60, NoGzip: !gz})
			c, err := New(testConfig(s, &waits{}))
			if err != nil {
				b.Fatal(err)
			}
			var total countingDiscard
			b.ResetTimer()
			for range b.N {
				p, err := c.Dataset(b.Context(), "ALPHA(Prod)", "", time.Time{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(&total, p.Body); err != nil {
					b.Fatal(err)
				}
				p.Body.Close()
			}
			b.SetBytes(total.bytes / int64(b.N))
			b.ReportMetric(float64(total.items)/b.Elapsed().Seconds(), "items/s")
		})
	}
}

// BenchmarkAuditFeed pulls the whole audit feed in pages of 10,000 IDs.
func BenchmarkAuditFeed(b *testing.B) {
	s := simtest.Start(b, simrws.Start, simrws.Options{SubjectsPerSite: 100, Visits: 30, NoGzip: true})
	c, err := New(testConfig(s, &waits{}))
	if err != nil {
		b.Fatal(err)
	}
	var total countingDiscard
	records := int64(0)
	b.ResetTimer()
	for range b.N {
		p, err := c.AuditRecords(b.Context(), "ALPHA(Prod)", 1, 10000)
		for {
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(&total, p.Body); err != nil {
				b.Fatal(err)
			}
			p.Body.Close()
			if p.Next == "" {
				break
			}
			p, err = c.FollowNext(b.Context(), p.Next)
		}
		records += s.TotalRecords()
	}
	b.SetBytes(total.bytes / int64(b.N))
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
