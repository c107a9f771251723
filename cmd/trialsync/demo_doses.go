package main

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/exposure"
	"github.com/trialsync/trialsync/sync/sim/seed"
)

// demoDoses writes the month of daily doses the study's subjects report through SureAdhere, as a JSON
// Lines file of dose records (the contract's `exposure import` fields), and returns its path and how
// many records it holds. Each subject takes the drugs of the arm Rave holds for them (arms: subject ->
// arm, from the pulled RAND.ARM), one dose a day for the seed's dosing days, missing a day with the
// seed's probability (drawn from the seed and the subject, so every run writes the same file); the
// seed's wrong-drug trouble adds its one dose of a drug outside the subject's arm.
func demoDoses(st *seed.Study, arms map[string]string, sites map[string]string, dir string) (string, int, error) {
	path := filepath.Join(dir, "doses.jsonl")
	f, err := os.Create(path)
	if err != nil {
		return "", 0, fmt.Errorf("demo: writing the dose records: %w", err)
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	n := 0
	write := func(subject, drug string, day int) error {
		n++
		return enc.Encode(exposure.Input{
			Subject: subject, Site: sites[subject], Drug: drug,
			StartDate: st.Dosing.FirstDay.AddDate(0, 0, day).Format("2006-01-02"), StartTime: "08:00",
			Prescribed: "1", Taken: "1", Mode: "Video", WithFood: "Yes",
		})
	}
	for _, subject := range slices.Sorted(maps.Keys(arms)) {
		arm, ok := st.Arm(arms[subject])
		if !ok {
			continue // an arm the study does not know: Rave's data, not the demo's to guess
		}
		h := fnv.New64a()
		h.Write([]byte(subject))
		r := rand.New(rand.NewPCG(uint64(st.Seed), h.Sum64()))
		for day := range st.Dosing.Days {
			missed := r.Float64() < st.Dosing.Missed
			for _, drug := range arm.Drugs {
				if !missed {
					if err := write(subject, drug, day); err != nil {
						return "", 0, err
					}
				}
			}
		}
	}
	if w := st.Trouble.WrongDrug; w != nil && arms[w.Subject] != "" {
		if err := write(w.Subject, w.Drug, w.Day-1); err != nil {
			return "", 0, err
		}
	}
	return path, n, f.Close()
}

// pulledArms reads each subject's arm (RAND.ARM) and site from what the Rave pull stored.
func (d *demo) pulledArms(ctx context.Context) (arms, sites map[string]string, err error) {
	arms, sites = map[string]string{}, map[string]string{}
	err = d.agent.WalkClinical(ctx, func(k store.ClinicalKey, v store.ClinicalValue) error {
		if k.Item == "RAND.ARM" && !v.IsNull && v.Value != "" {
			arms[k.Subject], sites[k.Subject] = v.Value, k.Site
		}
		return nil
	})
	return arms, sites, err
}
