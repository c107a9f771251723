package agent

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/config"
)

const checklistSection = `
[checklist]
study_id = "ALPHA"
edc_url = "https://edc.example.org"
ctms_url = "https://ctms.example.org"
owners = { status = "edc" }
`

// TestSettingsShowsFingerprintsNotSecrets: the Settings view has every contract credential, set ones
// with their keyed fingerprint; the secret appears nowhere in it.
func TestSettingsShowsFingerprintsNotSecrets(t *testing.T) {
	a := openAgent(t, raveConfig("https://rave.example.org/RaveWebServices", "ALPHA(Prod)")+checklistSection, nil)
	ctx := t.Context()
	if err := a.SetCredential(ctx, "rave.password", "hunter2-very-secret"); err != nil {
		t.Fatal(err)
	}
	if err := a.SetCredential(ctx, "custom.extra", "another-secret"); err != nil {
		t.Fatal(err)
	}
	s, err := a.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Exists || s.Config.Rave == nil || s.Config.Rave.Poll != time.Hour {
		t.Fatalf("settings %+v", s)
	}
	byName := map[string]CredentialState{}
	var names []string
	for _, c := range s.Credentials {
		byName[c.Name] = c
		names = append(names, c.Name)
		if strings.Contains(c.Fingerprint, "secret") || strings.Contains(c.Fingerprint, "hunter2") {
			t.Errorf("credential %s shows %q", c.Name, c.Fingerprint)
		}
	}
	if len(names) != len(KnownCredentials)+1 || names[len(names)-1] != "custom.extra" {
		t.Errorf("credentials %v, want the contract's then custom.extra", names)
	}
	if c := byName["rave.password"]; !c.Set || !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(c.Fingerprint) {
		t.Errorf("rave.password %+v, want set with a 12-digit fingerprint", c)
	}
	if c := byName["sureadhere.token"]; c.Set || c.Fingerprint != "" {
		t.Errorf("sureadhere.token %+v, want not set", c)
	}
	if s.Owners["status"] != config.OwnerEDC || s.Owners["planned_activation_date"] != config.OwnerCTMS || len(s.OwnerFields) == 0 {
		t.Errorf("owners %v (fields %v)", s.Owners, s.OwnerFields)
	}
}

// TestSaveSettings: a change is written back through the start-up checks and audited; an owner
// change needs a reason and gets its own entry; an invalid configuration changes nothing; running
// services start again on the new configuration.
func TestSaveSettings(t *testing.T) {
	a := openAgent(t, raveConfig("https://rave.example.org/RaveWebServices", "ALPHA(Prod)")+checklistSection,
		[]Engine{ravePullEngineWithout(), idleEngine()})
	ctx := t.Context()
	if _, err := a.Status(ctx); err != nil { // creates the store
		t.Fatal(err)
	}
	startAgent(t, a)
	before, _ := os.ReadFile(a.opts.ConfigPath)
	edit := func(change func(c *config.Config)) *config.Config {
		s, err := a.Settings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		change(s.Config)
		return s.Config
	}
	entries := func() int {
		es, err := a.AuditEntries(ctx, 0, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}

	n := entries()
	bad := edit(func(c *config.Config) { c.Rave.Poll = time.Millisecond })
	if _, err := a.SaveSettings(ctx, SettingsChange{Config: bad}); !errors.Is(err, config.ErrInvalid) {
		t.Fatalf("an invalid poll: %v, want config.ErrInvalid", err)
	}
	owner := edit(func(c *config.Config) { c.Checklist.Owners["status"] = config.OwnerCTMS })
	if _, err := a.SaveSettings(ctx, SettingsChange{Config: owner, Reason: "  "}); !errors.Is(err, ErrReasonRequired) {
		t.Fatalf("an owner change without a reason: %v", err)
	}
	if after, _ := os.ReadFile(a.opts.ConfigPath); string(after) != string(before) || entries() != n {
		t.Fatal("a refused change wrote the file or the audit trail")
	}

	run := a.current()
	poll := edit(func(c *config.Config) { c.Rave.Poll = 2 * time.Hour; c.Checklist.Owners["status"] = config.OwnerCTMS })
	changes, err := a.SaveSettings(ctx, SettingsChange{Config: poll, Reason: "the CTMS is now the system of record"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"checklist.owners.status: edc -> ctms", "rave.poll: 1h -> 2h"}
	if strings.Join(changes, "|") != strings.Join(want, "|") {
		t.Errorf("changes %q, want %q", changes, want)
	}
	if bak, _ := os.ReadFile(a.opts.ConfigPath + ".bak"); string(bak) != string(before) {
		t.Error("the previous file was not kept as .bak")
	}
	cfg, err := a.Config()
	if err != nil || cfg.Rave.Poll != 2*time.Hour || cfg.Checklist.Owners["status"] != config.OwnerCTMS {
		t.Fatalf("the agent's configuration after saving: %+v, %v", cfg, err)
	}
	es, _ := a.AuditEntries(ctx, 0, 1<<20)
	got := es[len(es)-2:]
	if got[0].Action != store.ActionChecklistOwnerChange || got[0].Object != "checklist.owners.status" ||
		got[0].Old != "edc" || got[0].New != "ctms" || got[0].Reason != "the CTMS is now the system of record" {
		t.Errorf("owner entry %+v", got[0])
	}
	if got[1].Action != store.ActionSettingsChange || got[1].New != "rave.poll: 1h -> 2h" || got[1].Actor != a.actor {
		t.Errorf("settings entry %+v", got[1])
	}
	if a.current() == run {
		t.Error("the services were not started again on the new configuration")
	}
	waitState(t, a, "the services running again", func(s Snapshot) bool { return s.Running && len(s.Services) == 1 })
	if again, err := a.SaveSettings(ctx, SettingsChange{Config: poll}); err != nil || len(again) != 0 {
		t.Errorf("saving the same settings again: %v, %v; want nothing changed", again, err)
	}
}

// ravePullEngineWithout is the Rave pull's registration with no services, so that a test can
// configure [rave] without a Rave to pull from.
func ravePullEngineWithout() Engine {
	e := ravePullEngine()
	e.Configured = func(*config.Config) bool { return false }
	return e
}

// TestSearchAudit: filters by action, actor, object and time select the newest matching entries,
// oldest first, and count every match.
func TestSearchAudit(t *testing.T) {
	a := openAgent(t, "", nil)
	ctx := t.Context()
	base := time.Now().Add(-time.Hour).UTC()
	for i := range 30 {
		e := store.Entry{Action: "test.even", Actor: "crc.jones", Object: "ALPHA/101", Time: base.Add(time.Duration(i) * time.Minute)}
		if i%2 == 1 {
			e.Action, e.Actor, e.Object = "test.odd", "Agent", "BETA/202"
		}
		if _, err := a.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name          string
		f             AuditFilter
		limit, total  int
		first, lastAt int // minutes after base of the first and last entry returned
	}{
		{"action", AuditFilter{Action: "test.odd"}, 5, 15, 21, 29},
		{"actor, any case", AuditFilter{Actor: "JONES"}, 100, 15, 0, 28},
		{"object", AuditFilter{Object: "beta"}, 3, 15, 25, 29},
		{"time range", AuditFilter{From: base.Add(10 * time.Minute), To: base.Add(14 * time.Minute)}, 100, 4, 10, 13},
		{"all of them", AuditFilter{Action: "test.even", Object: "alpha", From: base.Add(20 * time.Minute)}, 100, 5, 20, 28},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, total, err := a.SearchAudit(ctx, tc.f, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if total != tc.total || len(got) != min(tc.limit, tc.total) {
				t.Fatalf("%d entries of %d matches, want %d of %d", len(got), total, min(tc.limit, tc.total), tc.total)
			}
			at := func(e store.Entry) int { return int(e.Time.Sub(base) / time.Minute) }
			if at(got[0]) != tc.first || at(got[len(got)-1]) != tc.lastAt {
				t.Errorf("entries from minute %d to %d, want %d to %d", at(got[0]), at(got[len(got)-1]), tc.first, tc.lastAt)
			}
			for _, e := range got {
				if !tc.f.Match(e) {
					t.Errorf("entry %+v does not match", e)
				}
			}
		})
	}
}

// TestExportAuditFile: the export lands at the path whole and is itself recorded.
func TestExportAuditFile(t *testing.T) {
	a := openAgent(t, "", nil)
	ctx := t.Context()
	if _, err := a.Status(ctx); err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/audit.jsonl"
	cp, n, err := a.ExportAuditFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil || strings.Count(string(data), "\n") != n+1 || n != int(cp.Count) {
		t.Fatalf("export of %d entries (checkpoint %d): %d lines, %v", n, cp.Count, strings.Count(string(data), "\n"), err)
	}
	if e := lastEntry(t, a); e.Action != store.ActionAuditExported || e.Object != path {
		t.Errorf("last entry %+v, want the export", e)
	}
	if _, _, err := a.ExportAuditFile(ctx, t.TempDir()+"/no/such/dir/audit.jsonl"); err == nil {
		t.Error("an export to a missing directory succeeded")
	}
}
