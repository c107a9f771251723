package agent

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/config"
)

// ActivityHours is how many hourly buckets Activity holds: the last seven days.
const ActivityHours = 7 * 24

// Activity is how many rows were pulled from Rave and how many messages were sent in each hour of the
// last seven days, from the store's hourly counters. Bucket i covers the hour starting at Start + i
// hours; the last bucket is the hour now running. Start is in local time, so that the GUI's chart marks
// the coordinator's midnights; zero until the store has been read. The GUI's chart takes the same
// fields (app.Activity(x) converts it).
type Activity struct {
	Start  time.Time
	Pulled [ActivityHours]int64
	Sent   [ActivityHours]int64
}

// Figures are the dashboard's counts, read from the store by the agent (never by the GUI) after every
// service run, every recorded change and at least every figuresEvery, and kept for the snapshot.
type Figures struct {
	Read     time.Time // when they were read; zero before the store was opened
	Studies  []StudyFigures
	Activity Activity
	Totals   Totals
}

// StudyFigures are one study's figures and its sites'.
type StudyFigures struct {
	Study string
	// LastPull is when the study's pull last committed (its position moved); zero before its first.
	LastPull    time.Time
	PulledToday int64 // rows pulled since local midnight
	Quarantined int   // fragments awaiting review
	Sites       []SiteFigures
}

// SiteFigures are one site's figures.
type SiteFigures struct {
	Site        string
	PulledToday int64 // rows pulled since local midnight
	SentToday   int64 // messages acknowledged since local midnight
	// The outbound queue for the site (filled by the engine that keeps it): messages waiting to be
	// sent (pending, sending, held), dead letters awaiting a person, and urgent failures among them.
	Queued, Dead, Urgent int
	// Checklist conflicts awaiting adjudication (filled by the reconciliation engine) and when the
	// oldest was opened.
	Conflicts      int
	OldestConflict time.Time
}

// Totals sum the figures over every study and site: what needs attention at a glance (the tray).
type Totals struct {
	Queued, Dead, Urgent, Conflicts, Quarantined int
	OldestConflict                               time.Time
}

// figuresEvery bounds how old the snapshot's figures get while nothing else refreshes them (the hour
// moves on; another process adds to the store).
const figuresEvery = 15 * time.Second

// Site returns the figures of study's site, added (in order) when not yet there. Engines' Figures
// hooks fill their parts through it.
func (f *Figures) Site(study, site string) *SiteFigures {
	st := f.Study(study)
	for i := range st.Sites {
		if st.Sites[i].Site == site {
			return &st.Sites[i]
		}
	}
	st.Sites = append(st.Sites, SiteFigures{Site: site})
	return &st.Sites[len(st.Sites)-1]
}

// Study returns study's figures, added when not yet there.
func (f *Figures) Study(study string) *StudyFigures {
	for i := range f.Studies {
		if f.Studies[i].Study == study {
			return &f.Studies[i]
		}
	}
	f.Studies = append(f.Studies, StudyFigures{Study: study})
	return &f.Studies[len(f.Studies)-1]
}

// readFigures reads the dashboard's figures from db in one read transaction and publishes them.
func (a *Agent) readFigures(ctx context.Context, db *store.DB) {
	cfg, _ := a.Config()
	now := time.Now()
	f := Figures{Read: now}
	var last store.Verification
	var verified bool
	err := db.View(ctx, func(tx *store.Tx) error {
		if err := a.readStoreFigures(tx, cfg, now, &f); err != nil {
			return err
		}
		for _, e := range a.engines {
			if e.Figures != nil && cfg != nil && e.Configured(cfg) {
				if err := e.Figures(a, cfg, tx, &f); err != nil {
					return err
				}
			}
		}
		var err error
		last, verified, err = tx.LastVerification()
		return err
	})
	if err != nil {
		a.log.Debug().Err(err).Msg("reading the dashboard's figures")
		return
	}
	sortSites(&f, cfg)
	f.Totals = totals(f.Studies)
	a.auditMu.Lock()
	if rowsToday(f) != rowsToday(a.figures) || f.Totals != a.figures.Totals {
		t := f.Totals
		a.log.Debug().Int64("rows_today", rowsToday(f)).Int("queued", t.Queued).Int("dead", t.Dead).Int("urgent", t.Urgent).
			Int("conflicts", t.Conflicts).Int("quarantined", t.Quarantined).Msg("dashboard figures")
	}
	a.figures = f
	if verified && (a.audit.Verified.IsZero() || last.Time.After(a.audit.Verified)) {
		a.audit.setVerification(last)
	}
	a.auditMu.Unlock()
	a.changed.notify()
}

// readStoreFigures reads what the store itself keeps: the hourly counters, the pull positions and
// the quarantine. Studies come in configuration order, then any others the store knows.
func (a *Agent) readStoreFigures(tx *store.Tx, cfg *config.Config, now time.Time, f *Figures) error {
	if cfg != nil && cfg.Rave != nil {
		for _, st := range cfg.Rave.Studies {
			s := f.Study(st.OID)
			for _, site := range st.Sites {
				s.Sites = append(s.Sites, SiteFigures{Site: site})
			}
		}
	}
	midnight := localMidnight(now)
	err := tx.WalkScopes(store.StatPulled, func(study, site string, _ time.Time) error {
		f.Site(study, site)
		return nil
	})
	if err != nil {
		return err
	}
	err = tx.WalkScopes(store.StatSent, func(study, site string, _ time.Time) error {
		f.Site(study, site)
		return nil
	})
	if err != nil {
		return err
	}
	for i := range f.Studies {
		st := &f.Studies[i]
		for j := range st.Sites {
			s := &st.Sites[j]
			if s.PulledToday, err = tx.CountSince(store.StatPulled, st.Study, s.Site, midnight); err != nil {
				return err
			}
			if s.SentToday, err = tx.CountSince(store.StatSent, st.Study, s.Site, midnight); err != nil {
				return err
			}
			st.PulledToday += s.PulledToday
		}
		err := tx.WalkCursors(st.Study, func(_, _ string, c store.Cursor) error {
			if c.Updated.After(st.LastPull) {
				st.LastPull = c.Updated
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	open, err := tx.QuarantineList(false)
	if err != nil {
		return err
	}
	for _, q := range open {
		f.Study(quarantineStudy(q.Source, f.Studies)).Quarantined++
	}
	start := now.Truncate(time.Hour).Add(-(ActivityHours - 1) * time.Hour)
	f.Activity.Start = start.In(time.Local)
	if err := tx.Hours(store.StatPulled, "", "", start, f.Activity.Pulled[:]); err != nil {
		return err
	}
	return tx.Hours(store.StatSent, "", "", start, f.Activity.Sent[:])
}

// quarantineStudy is the study a fragment came from: its source starts with the study's OID and a
// space ("ALPHA(Prod) audit https://..."). A study already known is preferred, so that an OID holding
// a space is still found.
func quarantineStudy(source string, known []StudyFigures) string {
	for _, st := range known {
		if strings.HasPrefix(source, st.Study+" ") {
			return st.Study
		}
	}
	if i := strings.IndexAny(source, " /"); i > 0 {
		return source[:i]
	}
	return source
}

// rowsToday is the rows pulled today over every study.
func rowsToday(f Figures) int64 {
	var n int64
	for _, st := range f.Studies {
		n += st.PulledToday
	}
	return n
}

func localMidnight(now time.Time) time.Time {
	y, m, d := now.Local().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.Local)
}

func totals(studies []StudyFigures) Totals {
	var t Totals
	for _, st := range studies {
		t.Quarantined += st.Quarantined
		for _, s := range st.Sites {
			t.Queued += s.Queued
			t.Dead += s.Dead
			t.Urgent += s.Urgent
			t.Conflicts += s.Conflicts
			if !s.OldestConflict.IsZero() && (t.OldestConflict.IsZero() || s.OldestConflict.Before(t.OldestConflict)) {
				t.OldestConflict = s.OldestConflict
			}
		}
	}
	return t
}

// keepFiguresFresh reads the figures every figuresEvery until ctx ends, so that the chart moves on
// with the hour and counts written by a long run show before it ends.
func (a *Agent) keepFiguresFresh(ctx context.Context) {
	t := time.NewTicker(figuresEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if db := a.openedStore(); db != nil {
				a.readFigures(ctx, db)
			}
		}
	}
}

// sortSites orders each study's sites by name (configuration order first).
func sortSites(f *Figures, cfg *config.Config) {
	for i := range f.Studies {
		st := &f.Studies[i]
		var order []string
		if cfg != nil && cfg.Rave != nil {
			for _, s := range cfg.Rave.Studies {
				if s.OID == st.Study {
					order = s.Sites
				}
			}
		}
		slices.SortStableFunc(st.Sites, func(x, y SiteFigures) int {
			ix, iy := slices.Index(order, x.Site), slices.Index(order, y.Site)
			switch {
			case ix >= 0 && iy >= 0:
				return ix - iy
			case ix >= 0:
				return -1
			case iy >= 0:
				return 1
			}
			return strings.Compare(x.Site, y.Site)
		})
	}
}
