package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/checklist"
	simchecklist "github.com/trialsync/trialsync/sync/sim/checklist"
	"github.com/trialsync/trialsync/sync/sim/seed"
)

// checklistSims are an EDC and a CTMS simulator serving the same items, with tokens of their own that
// tests look for in every file and output.
type checklistSims struct {
	edc, ctms *simchecklist.Server
	cfg       string // a configuration file for them
	tokens    []string
}

func startChecklistSims(t *testing.T, items []seed.ChecklistItem, faults string) *checklistSims {
	t.Helper()
	cs := &checklistSims{}
	for _, sys := range []simchecklist.System{simchecklist.EDC, simchecklist.CTMS} {
		b := make([]byte, 8)
		rand.Read(b)
		tok := string(sys) + "-token-" + hex.EncodeToString(b)
		s, err := simchecklist.Start("127.0.0.1:0", simchecklist.Options{System: sys, Items: items, Token: tok, Faults: faults, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		cs.tokens = append(cs.tokens, tok)
		if sys == simchecklist.EDC {
			cs.edc = s
		} else {
			cs.ctms = s
		}
	}
	cs.cfg = filepath.Join(t.TempDir(), "config.toml")
	body := fmt.Sprintf("[checklist]\nstudy_id = \"ALPHA\"\nedc_url = %q\nctms_url = %q\n", cs.edc.URL(), cs.ctms.URL())
	if err := os.WriteFile(cs.cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cs
}

// newStore sets both tokens in the keyring through `creds set` (which creates the store) and stores
// the items' baselines, as a reconciliation before this one agreed on them.
func (cs *checklistSims) newStore(t *testing.T, service string, items []seed.ChecklistItem) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trialsync.db")
	for i, name := range []string{"edc.token", "ctms.token"} {
		if r := cli(t, cs.tokens[i]+"\n", "--store", path, "--config", cs.cfg, "creds", "set", name); r.code != 0 {
			t.Fatalf("creds set %s: %s", name, r.stderr)
		}
	}
	db, err := store.Open(t.Context(), path, store.Options{Keyring: store.NewSystemKeyring(service, nil)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := checklist.StoreBaselines(t.Context(), db, "ALPHA", baselineItems(items)); err != nil {
		t.Fatal(err)
	}
	return path
}

func baselineItems(items []seed.ChecklistItem) []checklist.Item {
	out := make([]checklist.Item, len(items))
	for i, ci := range items {
		b := ci.Baseline
		out[i] = checklist.Item{Site: ci.Site, Code: ci.Code, Version: ci.Version, Status: checklist.Status(b.Status),
			EvidenceDocID: b.EvidenceDocID, PlannedActivationDate: checklist.Date(b.PlannedActivationDate), MilestoneSignedOff: checklist.FlagNo}
		if b.MilestoneSignedOff {
			out[i].MilestoneSignedOff = checklist.FlagYes
		}
	}
	return out
}

// lastLine is the last line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// noTokens fails the test if a token appears, in any form a leak would take (leakForms), in any of the
// outputs or in any file under the dirs.
func noTokens(t *testing.T, tokens []string, outputs []string, dirs ...string) {
	t.Helper()
	for _, tok := range tokens {
		forms := leakForms(tok)
		for i, out := range outputs {
			for _, f := range forms {
				if strings.Contains(out, f) {
					t.Errorf("output %d holds a token (as %q)", i, f)
				}
			}
		}
		for _, dir := range dirs {
			filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return nil
				}
				b, err := os.ReadFile(path)
				for _, f := range forms {
					if err == nil && bytes.Contains(b, []byte(f)) {
						t.Errorf("%s holds a token (as %q)", path, f)
					}
				}
				return nil
			})
		}
	}
}

// TestReconcileAndConflicts: `reconcile --once` on the demo study ends with the contract's summary
// line; `conflicts list` shows the seeded conflicts with both sides and the baseline, as JSON Lines
// too; `conflicts resolve` settles one (bad arguments are usage errors, an unknown ID a failure); the
// next run delivers its write and makes no other. The tokens appear in no output and no file.
func TestReconcileAndConflicts(t *testing.T) {
	needKeyring(t)
	service, logDir := isolate(t)
	st, err := seed.Load(filepath.Join("..", "..", "testdata", "seed", "study.toml"))
	if err != nil {
		t.Fatal(err)
	}
	items := st.ChecklistItems()
	cs := startChecklistSims(t, items, "")
	path := cs.newStore(t, service, items)
	var outputs []string
	run := func(stdin string, args ...string) result {
		r := cli(t, stdin, append([]string{"--store", path, "--config", cs.cfg}, args...)...)
		outputs = append(outputs, r.stdout, r.stderr)
		return r
	}

	r := run("", "reconcile", "--once")
	want := "reconciled 18 items: in_sync 15, write_ctms 0, write_edc 0, write_both 0, conflict 3, gap 0, unmapped 0"
	if r.code != 0 || lastLine(r.stderr) != want {
		t.Fatalf("reconcile --once: %d\n%s", r.code, r.stderr)
	}

	r = run("", "conflicts", "list", "--format", "jsonl")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 3 {
		t.Fatalf("conflicts list --format jsonl: %d %q %s", r.code, r.stdout, r.stderr)
	}
	var first map[string]json.RawMessage
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range first {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"baseline", "code", "ctms", "edc", "fields", "id", "opened", "site"}) {
		t.Fatalf("conflict keys %v", keys)
	}
	var c struct {
		ID, Site, Code string
		Fields         []string
		EDC, CTMS      checklist.Item
		Baseline       checklist.Baseline
	}
	json.Unmarshal([]byte(lines[0]), &c)
	if c.Site != "101" || c.Code != "IRB_APPROVAL" || !slices.Equal(c.Fields, []string{"status"}) || c.EDC.Status != checklist.Complete ||
		c.CTMS.Status != checklist.Rejected || c.Baseline.Status != checklist.InReview {
		t.Fatalf("first conflict %s", lines[0])
	}
	if r := run("", "conflicts", "list"); r.code != 0 || !strings.Contains(r.stderr, "IRB_APPROVAL") || !strings.Contains(r.stderr, "min") {
		t.Fatalf("conflicts list: %d %s", r.code, r.stderr)
	}

	for _, bad := range [][]string{
		{"conflicts", "resolve", c.ID, "--take", "sponsor", "--reason", "r"},
		{"conflicts", "resolve", c.ID, "--take", "edc"},
		{"conflicts", "resolve", "--take", "edc", "--reason", "r"},
	} {
		if r := run("", bad...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", bad, r.code, r.stderr)
		}
	}
	if r := run("", "conflicts", "resolve", "999", "--take", "edc", "--reason", "r"); r.code != 1 ||
		!strings.HasPrefix(r.stderr, "trialsync: conflict 999: no such open conflict") {
		t.Fatalf("unknown ID: %d %s", r.code, r.stderr)
	}
	if r := run("", "conflicts", "resolve", c.ID, "--take", "ctms", "--reason", "the monitor rejected it"); r.code != 0 {
		t.Fatalf("resolve: %d %s", r.code, r.stderr)
	}
	if r := run("", "conflicts", "list", "--format", "jsonl"); strings.Count(r.stdout, "\n") != 2 {
		t.Fatalf("after resolving: %s", r.stdout)
	}

	puts := cs.edc.Count("put") + cs.ctms.Count("put")
	r = run("", "reconcile", "--once")
	if want := "reconciled 18 items: in_sync 15, write_ctms 0, write_edc 1, write_both 0, conflict 2, gap 0, unmapped 0"; r.code != 0 || lastLine(r.stderr) != want {
		t.Fatalf("reconcile after resolving: %d\n%s", r.code, r.stderr)
	}
	if got := cs.edc.Count("put") + cs.ctms.Count("put"); got != puts+1 {
		t.Fatalf("%d PUTs, want 1", got-puts)
	}
	r = run("", "reconcile", "--once")
	if want := "reconciled 18 items: in_sync 16, write_ctms 0, write_edc 0, write_both 0, conflict 2, gap 0, unmapped 0"; r.code != 0 || lastLine(r.stderr) != want {
		t.Fatalf("third run: %d\n%s", r.code, r.stderr)
	}
	if got := cs.edc.Count("put") + cs.ctms.Count("put"); got != puts+1 {
		t.Fatalf("the third run made %d PUTs", got-puts-1)
	}
	if r := run("", "audit", "verify"); r.code != 0 {
		t.Fatalf("audit verify: %s", r.stderr)
	}
	noTokens(t, cs.tokens, outputs, filepath.Dir(path), logDir)
}

// TestReconcileWithoutConfig: no [checklist] section is a clear failure, not a usage error.
func TestReconcileWithoutConfig(t *testing.T) {
	needKeyring(t)
	isolate(t)
	cfg := filepath.Join(t.TempDir(), "config.toml")
	os.WriteFile(cfg, []byte(noChecklist), 0o600)
	r := cli(t, "", "--store", filepath.Join(t.TempDir(), "s.db"), "--config", cfg, "reconcile", "--once")
	if r.code != 1 || !strings.Contains(r.stderr, "no [checklist] section") {
		t.Fatalf("%d %s", r.code, r.stderr)
	}
}

const noChecklist = "[sureadhere]\nurl = \"https://sureadhere.example.org\"\nregimens = { \"Arm A\" = \"Group 1\" }\n"

// canonicalOf reads an item from a simulator in canonical terms.
func canonicalOf(e *checklist.Engine, s *simchecklist.Server, sys checklist.System, k checklist.Key) (checklist.Item, bool) {
	raw, ok := s.Item(k.Site, k.Code)
	if !ok {
		return checklist.Item{}, false
	}
	return e.Adapter(sys).Decode(raw).Item, true
}
