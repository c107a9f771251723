package checklist

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchListings makes n items per system, as each system would list them, in sync but for 1 %: every
// 200th item has a new status in the EDC (its owner), every 200th (offset by 100) a new planned date in
// the CTMS (its owner). Half the write volume goes each way.
func benchListings(b *testing.B, e *Engine, n int, shuffle bool) Input {
	b.Helper()
	in := Input{EDC: make([]Record, n), CTMS: make([]Record, n), Baselines: make(map[Key]Baseline, n)}
	for i := range n {
		site, code := fmt.Sprintf("%03d", i/1000), fmt.Sprintf("ITEM-%04d", i%1000)
		edcStatus, ctmsDate := "SUBMITTED", "2025-04-01"
		if i%200 == 0 {
			edcStatus = "APPROVED"
		}
		if i%200 == 100 {
			ctmsDate = "2025-05-01"
		}
		in.EDC[i] = e.Adapter(EDC).Decode(json.RawMessage(fmt.Sprintf(
			`{"siteId":%q,"code":%q,"version":"v1","status":%q,"documentId":"DOC-%d","plannedActivation":"2025-04-01","updatedAt":"2025-03-01T10:00:00Z","lastEditedBy":"crc.jones"}`,
			site, code, edcStatus, i)))
		in.CTMS[i] = e.Adapter(CTMS).Decode(json.RawMessage(fmt.Sprintf(
			`{"site":%q,"taskCode":%q,"formVersion":"v1","state":"Pending QC","documentId":"DOC-%d","signedOff":false,"plannedActivation":%q,"modifiedUtc":"2025-03-01T09:00:00Z","modifiedBy":"cra.lee"}`,
			site, code, i, ctmsDate)))
		base := in.CTMS[i].Item
		base.SourceUpdated, base.Operator, base.PlannedActivationDate = base.SourceUpdated.AddDate(-1, 0, 0), "", "2025-04-01"
		in.Baselines[base.Key()] = Baseline{Item: base, Revision: 1}
	}
	if shuffle {
		r := rand.New(rand.NewPCG(1, 2))
		r.Shuffle(n, func(i, j int) { in.EDC[i], in.EDC[j] = in.EDC[j], in.EDC[i] })
		r.Shuffle(n, func(i, j int) { in.CTMS[i], in.CTMS[j] = in.CTMS[j], in.CTMS[i] })
	}
	return in
}

// BenchmarkPlan100k is the pure part of a full reconciliation of 100,000 items per system: lining the
// listings up, merging every field against its baseline, and encoding the 1 % of writes. Run with
// `GOMAXPROCS=1 go test -run '^$' -bench Plan100k -benchmem ./sync/checklist/`; ns/item is wall time per
// item pair, cpu-ns/item the process's CPU time (garbage collection included) per item pair.
func BenchmarkPlan100k(b *testing.B) {
	e := defaultEngine(b)
	const n = 100_000
	for _, order := range []struct {
		name    string
		shuffle bool
	}{{"sorted", false}, {"shuffled", true}} {
		b.Run(order.name, func(b *testing.B) {
			in := benchListings(b, e, n, order.shuffle)
			b.ReportAllocs()
			b.ResetTimer()
			var p Plan
			cpu0 := cpuNanos()
			for b.Loop() {
				p = e.Plan(in)
			}
			cpu := cpuNanos() - cpu0
			b.StopTimer()
			if c := p.Counts; c.Items != n || c.WriteCTMS != n/200 || c.WriteEDC != n/200 || c.InSync != n-n/100 {
				b.Fatalf("unexpected plan: %s", c)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/item")
			if cpu > 0 && cpu0 > 0 {
				b.ReportMetric(float64(cpu)/float64(b.N)/n, "cpu-ns/item")
			}
		})
	}
}

// BenchmarkDecode is the adapter's cost per raw record, which the listing's reader pays once per record.
func BenchmarkDecode(b *testing.B) {
	e := defaultEngine(b)
	raws := map[System]json.RawMessage{
		EDC:  fixture(b, "edc/approved.json"),
		CTMS: fixture(b, "ctms/verified.json"),
	}
	for _, s := range []System{EDC, CTMS} {
		b.Run(s.Label(), func(b *testing.B) {
			ad := e.Adapter(s)
			b.ReportAllocs()
			for b.Loop() {
				if r := ad.Decode(raws[s]); !r.Mapped() {
					b.Fatal(r.Defect)
				}
			}
		})
	}
}
