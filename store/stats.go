package store

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The stats bucket holds the few figures the dashboard shows that no other record holds: hourly
// activity counters and the last verification of the audit trail. Each is written in the transaction
// of the work it counts (a pulled batch, an acknowledged message, a verification's audit entry), so a
// counter never disagrees with what was committed.
//
// Keys (composite, NewKey):
//
//	hour / kind / study / site / 2006-01-02T15   count of kind in that UTC hour (study, site "" for the whole install)
//	scope / kind / study / site                  when kind was last counted for that study and site
//	verify                                       the last verification (Verification)

// Activity kinds counted by the hour.
const (
	// StatPulled counts clinical values read from Rave and committed (a pull's rows).
	StatPulled = "pulled"
	// StatSent counts outbound messages their remote acknowledged (exposures to Rave, subjects to
	// SureAdhere).
	StatSent = "sent"
)

var (
	statHour  = "hour"
	statScope = "scope"
	statVer   = NewKey("verify")
)

// hourLayout names an hour in a key: UTC, so that keys sort in time order whatever the zone.
const hourLayout = "2006-01-02T15"

func (tx *Tx) stats() (*bolt.Bucket, error) {
	if b := tx.bucket(BucketStats); b != nil {
		return b, nil
	}
	return nil, fmt.Errorf("store %s: bucket %s missing; run trialsync status to upgrade it", tx.db.path, BucketStats)
}

// CountHour adds n to the install's counter of kind (StatPulled, StatSent) for the hour holding t. Call
// it in the transaction that commits what it counts.
func (tx *Tx) CountHour(kind string, t time.Time, n int64) error {
	return tx.countHour(kind, "", "", t, n)
}

// CountHourAt is CountHour for one study and site, and also counts n in the install's counter, so that
// a caller counting per site calls one function. The study/site counters give the dashboard's figures
// of the day; the install's the week's chart.
func (tx *Tx) CountHourAt(kind, study, site string, t time.Time, n int64) error {
	if err := tx.countHour(kind, study, site, t, n); err != nil {
		return err
	}
	return tx.countHour(kind, "", "", t, n)
}

// CountPulled counts a committed batch of clinical rows as pulled at t: per study and site (read from
// the rows' keys) and for the install. Call it in the transaction that writes the batch.
func (tx *Tx) CountPulled(b *ClinicalBatch, t time.Time) error {
	return tx.countPulled(len(b.recs), func(i int) []byte { return b.recs[i].key }, t)
}

// CountPulledRun counts every row of a clinical run as pulled at t, as CountPulled does for a batch.
// The Rave pull calls it in the transaction that completes the run (the one that moves its cursor),
// so that rows written in the run's earlier transactions are counted once, when the run is committed.
func (tx *Tx) CountPulledRun(r *ClinicalRun, t time.Time) error {
	return tx.countPulled(len(r.recs), func(i int) []byte { return r.recs[i].key }, t)
}

func (tx *Tx) countPulled(n int, keyOf func(i int) []byte, t time.Time) error {
	type scope struct{ study, site string }
	counts := map[scope]int64{}
	var last []byte // the study 0x00 site prefix of the run of rows being counted
	var run int64
	flush := func() {
		if run > 0 {
			i := bytes.IndexByte(last, 0)
			counts[scope{string(last[:i]), string(last[i+1:])}] += run
		}
		run = 0
	}
	for k := range n {
		key := keyOf(k)
		// A key starts study 0x00 site 0x00; rows of one site mostly come together.
		i := bytes.IndexByte(key, 0)
		if i < 0 {
			continue
		}
		j := bytes.IndexByte(key[i+1:], 0)
		if j < 0 {
			continue
		}
		if prefix := key[:i+1+j]; !bytes.Equal(prefix, last) {
			flush()
			last = prefix
		}
		run++
	}
	flush()
	var total int64
	for s, n := range counts {
		if err := tx.countHour(StatPulled, s.study, s.site, t, n); err != nil {
			return err
		}
		total += n
	}
	if total == 0 {
		return nil
	}
	return tx.countHour(StatPulled, "", "", t, total)
}

func (tx *Tx) countHour(kind, study, site string, t time.Time, n int64) error {
	if n == 0 {
		return nil
	}
	if _, err := tx.stats(); err != nil {
		return err
	}
	counts := tableOf[int64](tx, BucketStats)
	k := NewKey(statHour, kind, study, site, t.UTC().Format(hourLayout))
	v, _, err := counts.Get(k)
	if err != nil {
		return err
	}
	if err := counts.Put(k, v+n); err != nil {
		return err
	}
	if study == "" && site == "" {
		return nil
	}
	return tableOf[time.Time](tx, BucketStats).Put(NewKey(statScope, kind, study, site), t.UTC())
}

// Hours fills out with the counts of kind for study and site ("" and "" for the install), one per
// hour from the hour holding from: out[0] is that hour, out[len(out)-1] the last. Hours with no count
// are 0.
func (tx *Tx) Hours(kind, study, site string, from time.Time, out []int64) error {
	clear(out)
	b, err := tx.stats()
	if err != nil {
		return err
	}
	from = from.UTC().Truncate(time.Hour)
	prefix := NewKey(statHour, kind, study, site)
	c := b.Cursor()
	for k, raw := c.Seek(NewKey(statHour, kind, study, site, from.Format(hourLayout))); k != nil; k, raw = c.Next() {
		if len(k) <= len(prefix) || !bytes.Equal(k[:len(prefix)], prefix) || k[len(prefix)] != 0 {
			break
		}
		h, err := time.Parse(hourLayout, string(k[len(prefix)+1:]))
		if err != nil {
			return fmt.Errorf("stats %s: hour unreadable", Key(k))
		}
		i := int(h.Sub(from) / time.Hour)
		if i >= len(out) {
			break
		}
		var v int64
		if err := getJSON(raw, &v); err != nil {
			return fmt.Errorf("stats %s: %w", Key(k), err)
		}
		if i >= 0 {
			out[i] = v
		}
	}
	return nil
}

// CountSince is the total of kind for study and site from the hour holding from up to now.
func (tx *Tx) CountSince(kind, study, site string, from time.Time) (int64, error) {
	hours := int(time.Since(from.Truncate(time.Hour))/time.Hour) + 1
	out := make([]int64, max(hours, 1))
	if err := tx.Hours(kind, study, site, from, out); err != nil {
		return 0, err
	}
	var n int64
	for _, v := range out {
		n += v
	}
	return n, nil
}

// WalkScopes calls fn for every study and site kind was ever counted for, in key order, with when it
// was last counted.
func (tx *Tx) WalkScopes(kind string, fn func(study, site string, last time.Time) error) error {
	if _, err := tx.stats(); err != nil {
		return err
	}
	return tableOf[time.Time](tx, BucketStats).Walk(NewKey(statScope, kind), func(k Key, last time.Time) error {
		p := k.Parts()
		if len(p) != 4 {
			return nil
		}
		return fn(p[2], p[3], last)
	})
}

// Verification is the last verification of the audit trail: when, by whom, and what it found.
type Verification struct {
	Time time.Time `json:"time"`
	// By is the person who asked for it, or "" for the agent's schedule.
	By      string `json:"by,omitempty"`
	Entries uint64 `json:"entries"`
	// Problem is the first problem found, "" when the chain was intact.
	Problem string `json:"problem,omitempty"`
}

// Scheduled reports whether the schedule ran the verification (rather than a person).
func (v Verification) Scheduled() bool { return v.By == "" }

// PutVerification records v as the last verification; call it in the transaction that appends the
// verification's audit entry.
func (tx *Tx) PutVerification(v Verification) error {
	if _, err := tx.stats(); err != nil {
		return err
	}
	return tableOf[Verification](tx, BucketStats).Put(statVer, v)
}

// LastVerification returns the last recorded verification; ok is false when there has been none.
func (tx *Tx) LastVerification() (v Verification, ok bool, err error) {
	if _, err := tx.stats(); err != nil {
		return v, false, err
	}
	return tableOf[Verification](tx, BucketStats).Get(statVer)
}
