package rws

import "github.com/trialsync/trialsync/sync/sim/seed"

// FromSeed returns the options that serve the demo's study as Rave holds it: its OID, sites,
// subjects per site, visits and seed; the drugs' exposure forms (posts may write them, each only for
// the subjects whose arm takes that drug: ArmForms); the arms, with the subjects whose arm the
// trouble fixes; and Rave's part of the trouble (its fault spec and the subject served malformed).
// Credentials, scale overrides and NoGzip stay the caller's.
func FromSeed(st *seed.Study) Options {
	o := Options{
		Seed: st.Seed, Study: st.OID, SubjectsPerSite: st.SubjectsPerSite, Visits: st.Visits,
		Faults: st.Trouble.RaveFaults, MalformedSubject: st.Trouble.MalformedSubject, ArmOf: st.FixedArms(),
	}
	for _, s := range st.Sites {
		o.Sites = append(o.Sites, s.OID)
	}
	for _, d := range st.Drugs {
		o.ExtraForms = append(o.ExtraForms, d.Form)
	}
	o.ArmForms = map[string][]string{}
	for _, a := range st.Arms {
		o.Arms = append(o.Arms, a.Name)
		for _, name := range a.Drugs {
			if d, ok := st.Drug(name); ok {
				o.ArmForms[a.Name] = append(o.ArmForms[a.Name], d.Form)
			}
		}
	}
	return o
}
