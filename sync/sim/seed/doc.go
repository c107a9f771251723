// Package seed reads the demo's study description (testdata/seed/study.toml): the sites and subjects,
// the drugs and arms, a month of daily doses, the site-activation checklists with their conflicts,
// and the little trouble the demo meets on purpose. Every simulator takes its part of the study from
// one Study, so that Rave, SureAdhere, the EDC and the CTMS describe the same trial: the RWS
// simulator through rws.FromSeed, the SureAdhere simulator through sureadhere.FromSeed, the checklist
// simulators through checklist.FromSeed. ChecklistItems gives the checklists' values in both systems
// and the baselines a previous reconciliation agreed on; GenerateChecklist and SyntheticChecklist
// make checklists at any scale for benchmarks.
//
// Load checks the whole description (names resolve, subjects exist, the trouble is consistent) and
// answers a one-line error naming the file and the problem, so a wrong seed never starts a demo
// that misbehaves later.
package seed
