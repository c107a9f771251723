package main

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/checklist"
	"github.com/trialsync/trialsync/sync/sim/seed"
)

// TestReconcileSurvivesKill9 kills `trialsync reconcile --once` with SIGKILL at random moments, at
// least 20 times, while both systems drop answers after applying PUTs and answer 503s and 429s, so
// that PUTs are retried within a run and replayed after a restart. After every kill, no stored baseline
// is ahead of what both systems hold: each is either the one agreed before the runs or the values both
// systems now hold. Once a run completes, both systems hold exactly what an uninterrupted run leaves,
// and each system applied exactly as many PUTs as that run did (no write had a second effect, no
// Idempotency-Key came back with another body); a further run makes no write; the audit chain
// verifies; and the tokens appear in no output and no file.
func TestReconcileSurvivesKill9(t *testing.T) {
	needKeyring(t)
	service, logDir := isolate(t)
	items := seed.SyntheticChecklist(17, 4_000, 0.2)
	engine, err := checklist.New(checklist.DefaultEDC(), checklist.DefaultCTMS(), checklist.DefaultOwners())
	if err != nil {
		t.Fatal(err)
	}

	// The reference: one uninterrupted run against faultless systems.
	ref := startChecklistSims(t, items, "")
	refStore := ref.newStore(t, service, items)
	began := time.Now()
	if r := cli(t, "", "--store", refStore, "--config", ref.cfg, "reconcile", "--once"); r.code != 0 {
		t.Fatalf("reference run: %d %s", r.code, r.stderr)
	}
	t.Logf("uninterrupted run: %s, %d PUTs to the EDC, %d to the CTMS", time.Since(began), ref.edc.Count("put"), ref.ctms.Count("put"))

	cs := startChecklistSims(t, items, "drop:0.05,503burst:2@0.01,429:0.01,seed:9")
	path := cs.newStore(t, service, items)
	agreed := map[checklist.Key]checklist.Item{}
	for _, it := range baselineItems(items) {
		agreed[it.Key()] = it
	}
	seedRNG := rand.Uint64()
	rng := rand.New(rand.NewPCG(seedRNG, 3))
	var outputs []string
	kills := 0
	for i := 0; i < 60 && kills < 24; i++ {
		r, killed := killedCLI(t, time.Duration(150+rng.IntN(1400))*time.Millisecond, "--store", path, "--config", cs.cfg, "reconcile", "--once")
		if killed {
			kills++
		} else {
			t.Logf("run %d ended before its kill (exit %d): %s", i, r.code, lastLine(r.stderr))
		}
		outputs = append(outputs, r.stdout, r.stderr)
		notAhead(t, engine, cs, path, service, agreed, fmt.Sprintf("after run %d (seed %d)", i, seedRNG))
	}
	if kills < 20 {
		t.Fatalf("only %d runs were killed mid-run (seed %d)", kills, seedRNG)
	}

	r := cli(t, "", "--store", path, "--config", cs.cfg, "reconcile", "--once")
	outputs = append(outputs, r.stdout, r.stderr)
	if r.code != 0 || !strings.HasPrefix(lastLine(r.stderr), "reconciled 4000 items: ") {
		t.Fatalf("the completing run: %d %s", r.code, r.stderr)
	}
	for _, sys := range []checklist.System{checklist.EDC, checklist.CTMS} {
		got, want := cs.edc, ref.edc
		if sys == checklist.CTMS {
			got, want = cs.ctms, ref.ctms
		}
		if got.Count("put") != want.Count("put") || got.Count("idempotency422") != 0 {
			t.Errorf("%s: %d PUTs applied, %d with a reused key; the uninterrupted run applied %d",
				sys.Label(), got.Count("put"), got.Count("idempotency422"), want.Count("put"))
		}
		for _, k := range want.Keys() {
			key := checklist.Key{Site: k.Site, Code: k.Code}
			a, _ := canonicalOf(engine, got, sys, key)
			b, _ := canonicalOf(engine, want, sys, key)
			if !sameHeld(engine, sys, &a, &b) {
				t.Fatalf("%s %s: %+v, the uninterrupted run left %+v", sys.Label(), key, a, b)
			}
		}
	}
	t.Logf("%d kills; faults met: EDC %d drops, %d 503, %d 429, %d replays; CTMS %d drops, %d 503, %d 429, %d replays", kills,
		cs.edc.Count("drop"), cs.edc.Count("503"), cs.edc.Count("429"), cs.edc.Count("replay"),
		cs.ctms.Count("drop"), cs.ctms.Count("503"), cs.ctms.Count("429"), cs.ctms.Count("replay"))
	if cs.edc.Count("drop")+cs.ctms.Count("drop") == 0 {
		t.Fatal("no answer was dropped after its PUT was applied; the test proves nothing about replays")
	}

	puts := cs.edc.Count("put") + cs.ctms.Count("put")
	r = cli(t, "", "--store", path, "--config", cs.cfg, "reconcile", "--once")
	outputs = append(outputs, r.stdout, r.stderr)
	if r.code != 0 || cs.edc.Count("put")+cs.ctms.Count("put") != puts || !strings.Contains(lastLine(r.stderr), "write_ctms 0, write_edc 0, write_both 0") {
		t.Fatalf("a further run: %d %s (%d PUTs)", r.code, r.stderr, cs.edc.Count("put")+cs.ctms.Count("put")-puts)
	}
	if r := cli(t, "", "--store", path, "audit", "verify"); r.code != 0 {
		t.Fatalf("audit verify: %s", r.stderr)
	}
	noTokens(t, cs.tokens, outputs, filepath.Dir(path), logDir)
}

// notAhead checks that every stored baseline is either the one agreed before the runs or what both
// systems hold now.
func notAhead(t *testing.T, e *checklist.Engine, cs *checklistSims, path, service string, agreed map[checklist.Key]checklist.Item, when string) {
	t.Helper()
	db, err := store.Open(t.Context(), path, store.Options{Keyring: store.NewSystemKeyring(service, nil), ReadOnly: true})
	if err != nil {
		t.Fatalf("%s: opening the store: %v", when, err)
	}
	defer db.Close()
	bs, err := checklist.Baselines(t.Context(), db, "ALPHA")
	if err != nil {
		t.Fatalf("%s: %v", when, err)
	}
	for k, b := range bs {
		if old, ok := agreed[k]; ok && sameHeld(e, "", &b.Item, &old) {
			continue
		}
		edc, _ := canonicalOf(e, cs.edc, checklist.EDC, k)
		ctms, _ := canonicalOf(e, cs.ctms, checklist.CTMS, k)
		if !sameHeld(e, checklist.EDC, &b.Item, &edc) || !sameHeld(e, checklist.CTMS, &b.Item, &ctms) {
			t.Fatalf("%s: the baseline of %s is %+v (revision %d), ahead of the EDC's %+v or the CTMS's %+v",
				when, k, b.Item, b.Revision, edc, ctms)
		}
	}
}

// sameHeld compares two items on the merged fields system sys holds (every field when sys is "").
func sameHeld(e *checklist.Engine, sys checklist.System, a, b *checklist.Item) bool {
	for _, f := range checklist.Fields() {
		if sys != "" && !e.Adapter(sys).Holds(f) {
			continue
		}
		if fieldText(f, a) != fieldText(f, b) {
			return false
		}
	}
	return true
}

func fieldText(f checklist.Field, it *checklist.Item) string {
	switch f {
	case checklist.FieldVersion:
		return strings.ToUpper(it.Version)
	case checklist.FieldStatus:
		return string(it.Status)
	case checklist.FieldEvidenceDocID:
		return strings.ToUpper(it.EvidenceDocID)
	case checklist.FieldMilestoneSignedOff:
		return fmt.Sprint(it.MilestoneSignedOff)
	}
	return string(it.PlannedActivationDate)
}
