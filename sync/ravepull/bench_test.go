package ravepull

import (
	"testing"

	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

// BenchmarkPullDataset pulls a simulated study's regular dataset over loopback HTTP into bbolt:
// parse (odm) and write (store) on separate goroutines, 50,000-row transactions. The simulator runs in
// the same process, so its generation work shares the CPU with the pull. For the 2 GiB run with peak
// RSS, see `make bench-pull`.
func BenchmarkPullDataset(b *testing.B) {
	s := startSim(b, simrws.Options{Seed: 9, SubjectsPerSite: 1000, Visits: 60, NoGzip: true})
	c := client(b, s, false)
	var rows int
	for b.Loop() {
		db := openStore(b)
		e := New(Options{DB: db, Source: c, RunID: "bench", BatchRows: 50_000})
		res, err := e.PullDataset(b.Context(), study)
		if err != nil {
			b.Fatal(err)
		}
		rows += res.Rows
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkPullAudit pulls a simulated study's audit-records feed (3 sites x 100 subjects, 500,000
// records interleaved across subjects, about 10,000 per page) over loopback HTTP into bbolt. The
// simulator runs in the same process; `make bench-pull` runs it apart.
func BenchmarkPullAudit(b *testing.B) {
	s := startSim(b, simrws.Options{Seed: 9, SubjectsPerSite: 100, Visits: 367, NoGzip: true})
	c := client(b, s, false)
	var rows int
	for b.Loop() {
		db := openStore(b)
		e := New(Options{DB: db, Source: c, RunID: "bench", PageSize: 20_000_000})
		res, err := e.PullAudit(b.Context(), study)
		if err != nil {
			b.Fatal(err)
		}
		rows += res.Rows
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
