package ravepull

import (
	"testing"
	"time"

	"github.com/trialsync/trialsync/store"
	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

// TestPullCountsActivity: every committed row is counted in the hour's activity, per site and for the
// install, in the transactions that wrote the rows (the dashboard's figures and chart read them).
func TestPullCountsActivity(t *testing.T) {
	db := openStore(t)
	start := time.Now()
	res, err := engine(db, client(t, startSim(t, simrws.Options{Seed: 5, SubjectsPerSite: 2, Visits: 1}), false)).Pull(t.Context(), study)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]int64{}
	err = db.WalkClinical(t.Context(), func(k store.ClinicalKey, _ store.ClinicalValue) error {
		stored[k.Site]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(t.Context(), func(tx *store.Tx) error {
		total, err := tx.CountSince(store.StatPulled, "", "", start)
		if err != nil {
			return err
		}
		if total != int64(res.Rows) {
			t.Errorf("counted %d rows pulled, the pull read %d", total, res.Rows)
		}
		var sum int64
		for site, n := range stored {
			got, err := tx.CountSince(store.StatPulled, study.OID, site, start)
			if err != nil {
				return err
			}
			if got < n {
				t.Errorf("site %s: counted %d rows pulled, %d are stored", site, got, n)
			}
			sum += got
		}
		if sum != total {
			t.Errorf("the sites' counts add up to %d, the install's is %d", sum, total)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
