package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

// sendSetup starts an RWS simulator and writes a config sending exposures to it; extra is appended
// to the [exposure] section.
func sendSetup(t *testing.T, opts simrws.Options, extra string) (*simrws.Server, string) {
	t.Helper()
	s, err := simrws.Start("127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, writeSendConfig(t, s.URL(), extra)
}

func writeSendConfig(t *testing.T, url, extra string) string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "config.toml")
	body := fmt.Sprintf(`[rave]
url = %q
auth = "basic"
user = "rws.integration"

[exposure]
study_oid = "ALPHA(Prod)"
study_event = "SM"
drugs = { "Isoniazid" = "EX_INH", "Rifapentine" = "EX_RPT" }
%s`, url, extra)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

const doseHeader = "subject,site,drug,start_date,start_time,tablets_prescribed,tablets_taken,mode,with_food\n"

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// queueRows runs `queue list --format jsonl` and decodes each line, checking the contract's fields.
func queueRows(t *testing.T, args ...string) []map[string]any {
	t.Helper()
	r := cli(t, "", append(args, "queue", "list", "--format", "jsonl")...)
	if r.code != 0 {
		t.Fatalf("queue list: %d %s", r.code, r.stderr)
	}
	var rows []map[string]any
	want := []string{"attempts", "id", "key", "kind", "message", "reason_code", "state", "updated", "urgent"}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("queue list line %q: %v", line, err)
		}
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, want) {
			t.Fatalf("queue list fields %v, want exactly %v", keys, want)
		}
		rows = append(rows, m)
	}
	return rows
}

// TestExposureImportSendAndQueue: the whole headless path of a dose record — import (a rejected row
// printed with its line, exit 1, the valid ones queued), send --once (a wrong drug dead and urgent),
// queue list in the contract's fields, discard with a reason (audited) — and the usage errors.
func TestExposureImportSendAndQueue(t *testing.T) {
	needKeyring(t)
	isolate(t)
	_, cfg := sendSetup(t, simrws.Options{Arms: []string{"Arm A", "Arm B"}, ArmOf: map[string]string{"103-004": "Arm B"},
		ArmForms: map[string][]string{"Arm A": {"EX_INH", "EX_RPT"}, "Arm B": {"EX_INH"}}}, "")
	store := filepath.Join(t.TempDir(), "s.db")
	g := []string{"--store", store, "--config", cfg}
	file := writeFile(t, "doses.csv", doseHeader+
		"101-001,101,Isoniazid,2025-03-03,08:30,2,2,Video,Yes\n"+
		"103-004,103,Rifapentine,2025-03-03,08:30,1,1,Video,Yes\n"+
		"101-002,101,Isoniazid,2025-03-03,25:00,2,2,Video,Yes\n"+
		"101-002,1010,Isoniazid,2025-03-04,,2,1,,\n")
	r := cli(t, "", append(g, "exposure", "import", file)...)
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.code != 1 || len(lines) != 3 || !strings.HasPrefix(lines[0], file+":4: start time") || !strings.HasPrefix(lines[1], file+":5: site code") ||
		lines[2] != "imported 2, rejected 2" || r.stdout != "" {
		t.Fatalf("import: exit %d\nstderr %q\nstdout %q", r.code, r.stderr, r.stdout)
	}

	r = cli(t, "", append(g, "send", "--once")...)
	oneLineError(t, r, 1, "credential rave.password not set (trialsync creds set rave.password)")
	if r := cli(t, "sim-password\n", append(g, "creds", "set", "rave.password")...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	r = cli(t, "", append(g, "send", "--once")...)
	if r.code != 0 || r.stderr != "sent 1, dead 1, held 0\n" {
		t.Fatalf("send --once: exit %d, stderr %q", r.code, r.stderr)
	}

	rows := queueRows(t, g...)
	if len(rows) != 2 {
		t.Fatalf("rows %v", rows)
	}
	var dead map[string]any
	for _, row := range rows {
		if row["state"] == "dead" {
			dead = row
		}
	}
	if dead == nil || dead["urgent"] != true || dead["reason_code"] != "RWS00033" || dead["kind"] != "exposure" ||
		dead["key"] != "ALPHA(Prod)/103-004/EX_RPT/2025-03-03" || dead["attempts"] != 1.0 {
		t.Fatalf("the wrong drug's row %v", dead)
	}
	if _, err := time.Parse(time.RFC3339, dead["updated"].(string)); err != nil {
		t.Errorf("updated %q is not RFC 3339", dead["updated"])
	}
	r = cli(t, "", append(g, "queue", "list", "--state", "dead")...)
	if r.code != 0 || !strings.Contains(r.stderr, "DEAD, URGENT") || !strings.Contains(r.stderr, "Urgent: ") {
		t.Errorf("queue list --state dead for people:\n%s", r.stderr)
	}
	id := fmt.Sprint(dead["id"])

	oneLineError(t, cli(t, "", append(g, "queue", "discard", id)...), 2, "queue discard needs --reason R")
	oneLineError(t, cli(t, "", append(g, "queue", "list", "--state", "lost")...), 2, `unknown message state "lost"`)
	oneLineError(t, cli(t, "", append(g, "queue", "retry", "x")...), 2, `message ID "x" is not a number`)
	oneLineError(t, cli(t, "", append(g, "queue", "retry", "99")...), 1, "message 99: there is no such outbound message")
	oneLineError(t, cli(t, "", append(g, "exposure", "import")...), 2, "usage: trialsync exposure import FILE")
	oneLineError(t, cli(t, "", append(g, "exposure", "import", filepath.Join(t.TempDir(), "none.csv"))...), 1, "no such file")

	r = cli(t, "", append(g, "queue", "discard", id, "--reason", "patient on Arm B: recorded in error")...)
	if r.code != 0 || r.stderr != "message "+id+" discarded\n" {
		t.Fatalf("discard: %d %q", r.code, r.stderr)
	}
	oneLineError(t, cli(t, "", append(g, "queue", "retry", id)...), 1, "only a dead message can be retried")
	r = cli(t, "", append(g, "audit", "list", "--format", "jsonl")...)
	if !strings.Contains(r.stdout, `"outbox.discard"`) || !strings.Contains(r.stdout, "patient on Arm B: recorded in error") {
		t.Errorf("the discard is not in the audit trail")
	}
	if r := cli(t, "", append(g, "audit", "verify")...); r.code != 0 {
		t.Fatalf("audit verify: %s", r.stderr)
	}
}

// TestThree503sThenQueueRetry: three 503s make a dead letter with its reason; queue retry revives it.
func TestThree503sThenQueueRetry(t *testing.T) {
	needKeyring(t)
	isolate(t)
	s, cfg := sendSetup(t, simrws.Options{Faults: "503burst:3@1"}, "max_attempts = 3\n")
	g := []string{"--store", filepath.Join(t.TempDir(), "s.db"), "--config", cfg}
	if r := cli(t, "sim-password\n", append(g, "creds", "set", "rave.password")...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	file := writeFile(t, "d.jsonl", `{"subject":"101-001","site":"101","drug":"Isoniazid","start_date":"2025-03-03","start_time":"","tablets_prescribed":"2","tablets_taken":"2","mode":"","with_food":""}`+"\n")
	if r := cli(t, "", append(g, "exposure", "import", file)...); r.code != 0 || r.stderr != "imported 1, rejected 0\n" {
		t.Fatalf("import: %d %q", r.code, r.stderr)
	}
	r := cli(t, "", append(g, "send", "--once")...)
	if r.code != 0 || r.stderr != "sent 0, dead 1, held 0\n" || s.Count("503") != 3 {
		t.Fatalf("send --once: %d %q, 503s %d", r.code, r.stderr, s.Count("503"))
	}
	rows := queueRows(t, g...)
	if rows[0]["state"] != "dead" || rows[0]["attempts"] != 3.0 || !strings.Contains(rows[0]["message"].(string), "503") {
		t.Fatalf("dead letter %v", rows[0])
	}
	if r := cli(t, "", append(g, "queue", "retry", "1")...); r.code != 0 {
		t.Fatalf("retry: %s", r.stderr)
	}
	if r := cli(t, "", append(g, "send", "--once")...); r.code != 0 || r.stderr != "sent 1, dead 0, held 0\n" {
		t.Fatalf("send after retry: %d %q", r.code, r.stderr)
	}
	if lines := s.LogLines("101-001", "EX_INH"); len(lines) != 1 {
		t.Fatalf("Rave holds %v", lines)
	}
}

// TestSendOfflineHolds: Rave unreachable: send --once ends at once with everything held, exit 0.
func TestSendOfflineHolds(t *testing.T) {
	needKeyring(t)
	isolate(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there: connection refused
	cfg := writeSendConfig(t, "http://"+addr+"/RaveWebServices", "")
	g := []string{"--store", filepath.Join(t.TempDir(), "s.db"), "--config", cfg}
	if r := cli(t, "sim-password\n", append(g, "creds", "set", "rave.password")...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	file := writeFile(t, "d.csv", doseHeader+"101-001,101,Isoniazid,2025-03-03,,2,2,,\n101-002,101,Isoniazid,2025-03-03,,2,2,,\n")
	if r := cli(t, "", append(g, "exposure", "import", file)...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	r := cli(t, "", append(g, "send", "--once")...)
	if r.code != 0 || r.stderr != "sent 0, dead 0, held 2\n" {
		t.Fatalf("send --once offline: %d %q", r.code, r.stderr)
	}
	for _, row := range queueRows(t, g...) {
		if row["state"] != "held" || row["attempts"] != 0.0 {
			t.Errorf("row %v, want held with no attempt spent", row)
		}
	}
}

// doses writes a CSV of n dose records over subjects of the simulator's default study (3 sites, per
// site subjects), both drugs, consecutive days; taken is the tablets-taken value of every row.
func doses(n, perSite int, taken func(i int) string) string {
	var b strings.Builder
	b.WriteString(doseHeader)
	sites := []string{"101", "102", "103"}
	drugs := []string{"Isoniazid", "Rifapentine"}
	day0 := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	for i := range n {
		subj := i % (3 * perSite)
		site := sites[subj/perSite]
		drug := drugs[(i/(3*perSite))%2]
		day := i / (6 * perSite)
		fmt.Fprintf(&b, "%s-%03d,%s,%s,%s,08:%02d,2,%s,Video,No\n", site, subj%perSite+1, site, drug,
			day0.AddDate(0, 0, day).Format(time.DateOnly), i%60, taken(i))
	}
	return b.String()
}

// raveState is every log line of both exposure forms in the simulator, by subject, form and start date
// (Rave numbers lines in the order it makes them, which may differ between runs), and the duplicates:
// two lines of one subject and form with the same start date.
func raveState(s *simrws.Server, perSite int) (map[string]string, []string) {
	state := map[string]string{}
	var dups []string
	for _, site := range []string{"101", "102", "103"} {
		for n := 1; n <= perSite; n++ {
			subj := fmt.Sprintf("%s-%03d", site, n)
			for _, form := range []string{"EX_INH", "EX_RPT"} {
				for _, l := range s.LogLines(subj, form) {
					key := subj + " " + form + " " + l.Items[form+".EXSTDAT"]
					if _, dup := state[key]; dup {
						dups = append(dups, key)
					}
					b, _ := json.Marshal(l.Items)
					state[key] = string(b)
				}
			}
		}
	}
	return state, dups
}

// TestSendSurvivesKill9 kills `trialsync send --once` with SIGKILL at random moments, at least 20
// times, each run resuming what the last left (attempts interrupted in flight are sent again with the
// same Context); a second import of corrections lands half-way. Rave's final state equals a fault-free
// run's, no log line is duplicated, every message is done, and the audit chain verifies.
func TestSendSurvivesKill9(t *testing.T) {
	needKeyring(t)
	isolate(t)
	const perSite, n = 20, 480
	// Each crash counts the attempts it interrupts (up to the 16 claimed at once): max_attempts is set
	// above the number of kills so that no message dies of crashes alone.
	extra := "max_attempts = 30\n"
	rps := "requests_per_second = 40\n"
	first := writeFile(t, "first.csv", doses(n, perSite, func(i int) string { return "2" }))
	second := writeFile(t, "second.csv", doses(n/2, perSite, func(i int) string { return []string{"0", "1"}[i%2] }))

	run := func(name string, kill bool) (*simrws.Server, int) {
		s, err := simrws.Start("127.0.0.1:0", simrws.Options{SubjectsPerSite: perSite})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		cfg := writeSendConfig(t, s.URL(), extra)
		cfgBody, _ := os.ReadFile(cfg)
		os.WriteFile(cfg, []byte(strings.Replace(string(cfgBody), "[exposure]", rps+"\n[exposure]", 1)), 0o600)
		g := []string{"--store", filepath.Join(t.TempDir(), name+".db"), "--config", cfg}
		if r := cli(t, "sim-password\n", append(g, "creds", "set", "rave.password")...); r.code != 0 {
			t.Fatal(r.stderr)
		}
		killed := 0
		seed := rand.Uint64()
		rng := rand.New(rand.NewPCG(seed, 2))
		for _, file := range []string{first, second} {
			if r := cli(t, "", append(g, "exposure", "import", file)...); r.code != 0 {
				t.Fatalf("%s: import: %s", name, r.stderr)
			}
			for i := 0; kill && i < 12; i++ {
				r, k := killedCLI(t, time.Duration(150+rng.IntN(350))*time.Millisecond, append(g, "send", "--once")...)
				if k {
					killed++
				} else if r.code != 0 {
					t.Fatalf("%s: run %d (seed %d) failed on its own: %s", name, i, seed, r.stderr)
				}
			}
			r := cli(t, "", append(g, "send", "--once")...)
			if r.code != 0 || !strings.HasSuffix(r.stderr, ", dead 0, held 0\n") {
				t.Fatalf("%s: final send --once: %d %q", name, r.code, r.stderr)
			}
		}
		for _, row := range queueRows(t, g...) {
			if row["state"] != "done" {
				t.Fatalf("%s: message %v not done", name, row)
			}
		}
		if r := cli(t, "", append(g, "audit", "verify")...); r.code != 0 {
			t.Fatalf("%s: audit verify: %s", name, r.stderr)
		}
		t.Logf("%s: %d kills (seed %d), %d posts reached Rave", name, killed, seed, s.Count("post"))
		return s, killed
	}

	ref, _ := run("reference", false)
	want, dups := raveState(ref, perSite)
	if len(want) != n || len(dups) != 0 {
		t.Fatalf("the reference run left %d lines (want %d), duplicates %v", len(want), n, dups)
	}
	got, killed := run("killed", true)
	if killed < 20 {
		t.Fatalf("only %d of 24 runs were killed mid-delivery: the delivery is too short for this test", killed)
	}
	state, dups := raveState(got, perSite)
	if len(dups) != 0 {
		t.Fatalf("log lines duplicated after %d kills: %v", killed, dups)
	}
	for k, v := range want {
		if state[k] != v {
			t.Errorf("%s: Rave holds %s, a fault-free run %s", k, state[k], v)
		}
	}
	if len(state) != len(want) {
		t.Errorf("%d lines after the kills, %d in the fault-free run", len(state), len(want))
	}
}
