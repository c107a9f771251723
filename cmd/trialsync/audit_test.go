package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/store/storetest"
)

// TestAuditVerifyTamperSuite damages a real store in each way the foundation issue names and checks
// that `trialsync audit verify` exits 3 naming the entry and the reason.
func TestAuditVerifyTamperSuite(t *testing.T) {
	needKeyring(t)
	cases := []struct {
		name   string
		tamper func(t *testing.T, path, service string)
		want   string
	}{
		{"intact", func(*testing.T, string, string) {}, ""},
		{"change a field", tamperWith(storetest.ChangeField, 7), "broken at entry 7: content changed"},
		{"delete an entry", tamperWith(storetest.DeleteEntry, 7), "broken at entry 7: entry missing"},
		{"swap two entries", tamperWith(storetest.SwapEntries, 7), "broken at entry 7: order changed"},
		{"truncate the tail", tamperWith(storetest.TruncateTail, 15), "broken at entry 15: tail truncated"},
		{"recompute without the key", tamperWith(storetest.RecomputeWithoutKey, 7), "broken at entry 7: checkpoint mismatch"},
		{"delete the key", func(t *testing.T, path, service string) {
			db, err := store.Open(t.Context(), path, store.Options{Keyring: store.NewSystemKeyring(service, nil)})
			if err != nil {
				t.Fatal(err)
			}
			id := db.InstallID()
			db.Close()
			if err := store.NewSystemKeyring(service, nil).Delete("audit." + id + ".key"); err != nil {
				t.Fatal(err)
			}
		}, "broken at entry 1: key missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			service, _ := isolate(t)
			path := seedStore(t, service, 20)
			tc.tamper(t, path, service)
			r := cli(t, "", "--store", path, "audit", "verify")
			if tc.want == "" {
				if r.code != 0 || !strings.Contains(r.stderr, "ok: 20 entries, tip ") {
					t.Fatalf("intact store: exit %d, %q", r.code, r.stderr)
				}
				return
			}
			oneLineError(t, r, 3, tc.want)
		})
	}
}

func tamperWith(fn storetest.Tamper, seq uint64) func(*testing.T, string, string) {
	return func(t *testing.T, path, _ string) {
		if err := fn(path, seq); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAuditExportAndList(t *testing.T) {
	needKeyring(t)
	service, _ := isolate(t)
	path := seedStore(t, service, 5)
	out := filepath.Join(t.TempDir(), "audit.jsonl")
	if r := cli(t, "", "--store", path, "audit", "export", "--out", out); r.code != 0 {
		t.Fatalf("export: %d %q", r.code, r.stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 6 {
		t.Fatalf("export has %d lines, want 5 entries + checkpoint", len(lines))
	}
	cp := lines[5]["checkpoint"].(map[string]any)
	if cp["count"].(float64) != 5 || cp["tip"] != lines[4]["hash"] || len(cp["mac"].(string)) != 64 {
		t.Fatalf("checkpoint line %v does not cover the entries", lines[5])
	}
	for i, l := range lines[:5] {
		if l["seq"].(float64) != float64(i+1) {
			t.Fatalf("entry %d: %v", i, l)
		}
	}

	// The export itself is recorded, so the listing now has 6 entries.
	r := cli(t, "", "--store", path, "audit", "list", "--format", "jsonl")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 6 || !strings.Contains(r.stdout, `"action":"audit.exported"`) {
		t.Fatalf("list: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = cli(t, "", "--store", path, "audit", "list", "--since", "2999-01-01", "--format", "jsonl")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("list --since future: %d %q", r.code, r.stdout)
	}
	r = cli(t, "", "--store", path, "audit", "list", "--since", "yesterday-ish")
	oneLineError(t, r, 2, "--since")
	r = cli(t, "", "--store", path, "audit", "export")
	oneLineError(t, r, 2, "--out")
}

// TestRefusedStores: a file that is not a store, one from a newer schema, and one held by another
// instance each give a one-line error and exit 1, and the file is left byte-for-byte as it was.
func TestRefusedStores(t *testing.T) {
	needKeyring(t)
	cases := []struct {
		name    string
		prepare func(t *testing.T, service string) (path string, release func())
		want    string
	}{
		{"not bbolt", func(t *testing.T, _ string) (string, func()) {
			p := filepath.Join(t.TempDir(), "x.db")
			os.WriteFile(p, []byte(strings.Repeat("this is not a database\n", 500)), 0o600)
			return p, func() {}
		}, "not a trialsync store"},
		{"newer schema", func(t *testing.T, service string) (string, func()) {
			p := seedStore(t, service, 3)
			if err := storetest.SetSchema(p, store.SchemaVersion+1); err != nil {
				t.Fatal(err)
			}
			return p, func() {}
		}, fmt.Sprintf("schema %d, this trialsync reads up to %d", store.SchemaVersion+1, store.SchemaVersion)},
		{"second instance", func(t *testing.T, service string) (string, func()) {
			p := seedStore(t, service, 3)
			db, err := store.Open(t.Context(), p, store.Options{Keyring: store.NewSystemKeyring(service, nil)})
			if err != nil {
				t.Fatal(err)
			}
			return p, func() { db.Close() }
		}, "is in use by another trialsync"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			service, _ := isolate(t)
			path, release := tc.prepare(t, service)
			defer release()
			before, _ := os.ReadFile(path)
			r := cli(t, "", "--store", path, "audit", "verify")
			oneLineError(t, r, 1, tc.want)
			if !strings.Contains(r.stderr, path) {
				t.Errorf("message %q does not name the store", r.stderr)
			}
			after, _ := os.ReadFile(path)
			if string(before) != string(after) {
				t.Fatal("refused store was modified")
			}
		})
	}
}
