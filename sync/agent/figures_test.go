package agent

import (
	"testing"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/outbox"
	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

// TestFigures: after a pull, the snapshot's figures show the study's rows today per site (adding up to
// what the pull read), when it last pulled, its quarantined fragment, and the week's activity with the
// rows in the hour now running; the snapshot reads them from memory.
func TestFigures(t *testing.T) {
	s := startRWS(t, simrws.Options{Seed: 4, SubjectsPerSite: 3, MalformedSubject: "102-002"})
	a := pullAgent(t, s, "sim-password")
	startAgent(t, a)
	snap := waitState(t, a, "a first pull", func(s Snapshot) bool {
		return len(s.Services) == 1 && s.Services[0].Runs == 1 // the figures are read before the run is marked done
	})
	pull := snap.Services[0]
	if pull.Err != "" {
		t.Fatalf("pull failed: %s", pull.Err)
	}
	f := snap.Figures
	if len(f.Studies) != 1 || f.Studies[0].Study != "ALPHA(Prod)" {
		t.Fatalf("studies %+v", f.Studies)
	}
	st := f.Studies[0]
	var sites []string
	var sum int64
	for _, site := range st.Sites {
		sites = append(sites, site.Site)
		sum += site.PulledToday
	}
	rows := int64(pull.Last.Figure("rows"))
	if len(sites) != 3 || sites[0] != "101" || sites[2] != "103" {
		t.Errorf("sites %v, want 101, 102, 103 in order", sites)
	}
	if sum != st.PulledToday || sum > rows || sum == 0 {
		t.Errorf("sites pulled %d today (study %d), the pull read %d rows", sum, st.PulledToday, rows)
	}
	if st.LastPull.IsZero() || st.LastPull.After(pull.LastEnd) {
		t.Errorf("last pull %v, the run ended %v", st.LastPull, pull.LastEnd)
	}
	if q := pull.Last.Figure("quarantined"); st.Quarantined != q || q == 0 || f.Totals.Quarantined != q {
		t.Errorf("quarantined %d (totals %d), the pull quarantined %d", st.Quarantined, f.Totals.Quarantined, q)
	}
	if f.Activity.Start.IsZero() || f.Activity.Pulled[ActivityHours-1] != sum {
		t.Errorf("activity from %v, this hour %d, want %d", f.Activity.Start, f.Activity.Pulled[ActivityHours-1], sum)
	}
}

// TestSendFigures: the outbound queue's messages count per site on the dashboard: waiting (pending,
// held), dead letters and the urgent among them; delivered and discarded ones do not.
func TestSendFigures(t *testing.T) {
	a := openAgent(t, exposureConfig(startRWS(t, simrws.Options{}), ""), nil)
	ctx := t.Context()
	db, err := a.Store(ctx)
	if err != nil {
		t.Fatal(err)
	}
	messages := []outbox.Message{
		{Kind: outbox.KindExposure, Key: "a", State: outbox.Pending, Payload: []byte(`{"site":"101"}`)},
		{Kind: outbox.KindExposure, Key: "b", State: outbox.Held, Payload: []byte(`{"site":"101"}`)},
		{Kind: outbox.KindExposure, Key: "c", State: outbox.Dead, Urgent: true, Payload: []byte(`{"site":"103"}`)},
		{Kind: outbox.KindExposure, Key: "d", State: outbox.Dead, Payload: []byte(`{"site":"103"}`)},
		{Kind: outbox.KindExposure, Key: "e", State: outbox.Dead, Discarded: true, Payload: []byte(`{"site":"103"}`)},
		{Kind: outbox.KindExposure, Key: "f", State: outbox.Done, Payload: []byte(`{"site":"102"}`)},
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		for _, m := range messages {
			if _, err := store.Outbox[outbox.Message](tx).Add(m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	a.readFigures(ctx, db)
	f := a.Snapshot().Figures
	site := func(s string) SiteFigures { return *(&f).Site("ALPHA(Prod)", s) }
	if s := site("101"); s.Queued != 2 || s.Dead != 0 {
		t.Errorf("site 101 %+v, want 2 waiting", s)
	}
	if s := site("103"); s.Dead != 2 || s.Urgent != 1 || s.Queued != 0 {
		t.Errorf("site 103 %+v, want 2 dead letters, 1 urgent", s)
	}
	if s := site("102"); s.Queued+s.Dead != 0 {
		t.Errorf("site 102 %+v: a delivered message counts", s)
	}
	if tot := f.Totals; tot.Queued != 2 || tot.Dead != 2 || tot.Urgent != 1 {
		t.Errorf("totals %+v", tot)
	}
}

// TestChecklistFigures: the open checklist conflicts count per site on the dashboard, with the oldest's
// time; a settled one no longer does.
func TestChecklistFigures(t *testing.T) {
	a, _, _ := checklistAgent(t, "")
	ctx := t.Context()
	if _, err := a.Reconcile(ctx, ""); err != nil {
		t.Fatal(err)
	}
	db, err := a.Store(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a.readFigures(ctx, db)
	f := a.Snapshot().Figures
	for _, site := range []string{"101", "102", "103"} {
		if s := *(&f).Site("ALPHA", site); s.Conflicts != 1 || s.OldestConflict.IsZero() {
			t.Errorf("site %s: %+v, want its one conflict", site, s)
		}
	}
	if f.Totals.Conflicts != 3 || f.Totals.OldestConflict.IsZero() {
		t.Fatalf("totals %+v", f.Totals)
	}
	open, err := a.ChecklistConflicts(ctx, false)
	if err != nil || len(open) == 0 {
		t.Fatalf("conflicts %v, %v", open, err)
	}
	if err := a.SettleConflictTaking(ctx, open[0].ID, ChecklistSystem("edc"), "the EDC is right"); err != nil {
		t.Fatal(err)
	}
	a.readFigures(ctx, db)
	if n := a.Snapshot().Figures.Totals.Conflicts; n != 2 {
		t.Errorf("%d conflicts after one was settled, want 2", n)
	}
}
