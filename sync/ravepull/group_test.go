package ravepull

import (
	"testing"
	"time"

	"github.com/rs/zerolog"

	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

// TestGroupsCloseByRowsOrTime: on a fast feed, consecutive pages commit together (fewer commits than
// pages); when every answer is slow to come, each page commits on its own once it has waited GroupWait,
// without waiting for the next page. Both store the same rows.
func TestGroupsCloseByRowsOrTime(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults string
		wait   time.Duration
		alone  bool // every page in a group of its own
	}{
		{"fast feed", "", time.Minute, false},
		{"slow remote", "slow:300ms", 20 * time.Millisecond, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startSim(t, simrws.Options{Seed: 6, SubjectsPerSite: 2, Visits: 1, Faults: tc.faults})
			db := openStore(t)
			commits := 0
			var lastPages int
			e := New(Options{DB: db, Source: client(t, s, false), Log: zerolog.Nop(), RunID: "test-run", PageSize: 3000,
				BatchRows: 1 << 20, GroupWait: tc.wait, Progress: func(p Progress) {
					if !p.Done {
						commits++
						lastPages = p.Pages
					}
				}})
			res, err := e.PullAudit(t.Context(), study)
			if err != nil {
				t.Fatal(err)
			}
			if res.Pages < 3 || lastPages != res.Pages {
				t.Fatalf("%+v after %d commits (last report %d pages): too few pages for this test", res, commits, lastPages)
			}
			if tc.alone && commits != res.Pages || !tc.alone && commits >= res.Pages {
				t.Fatalf("%d commits for %d pages", commits, res.Pages)
			}
		})
	}
}
