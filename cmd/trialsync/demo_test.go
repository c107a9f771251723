package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/zalando/go-keyring"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/ravepull"
	"github.com/trialsync/trialsync/sync/rws"
	simrws "github.com/trialsync/trialsync/sync/sim/rws"
	"github.com/trialsync/trialsync/sync/sim/seed"
)

// TestDemoSeedIsTheStudy: the demo's built-in study is testdata/seed/study.toml, byte for byte.
func TestDemoSeedIsTheStudy(t *testing.T) {
	want, err := os.ReadFile("../../testdata/seed/study.toml")
	if err != nil {
		t.Fatal(err)
	}
	if string(demoSeed) != string(want) {
		t.Fatal("cmd/trialsync/demo_seed.toml differs from testdata/seed/study.toml: copy it again")
	}
	if _, err := loadDemoSeed(""); err != nil {
		t.Fatal(err)
	}
}

// stormRE finds the seed's 429 storm, daysRE its dosing period.
var (
	stormRE = regexp.MustCompile(`rave_faults = "429storm:\d+@(\d+)"`)
	daysRE  = regexp.MustCompile(`(?m)^days = \d+`)
)

// shortStormSeed writes the demo's study with its 429 storm cut to four answers and its month of doses
// to four days (the wrong drug is given on day 3). Every piece of trouble stays. Four answers are
// absorbed by the RWS client's own retries; the seed's twelve open its circuit breaker, whose probes
// then take one answer every 30 s, and a month of doses is 12,000 sends: the demo takes minutes.
func shortStormSeed(t *testing.T) (path string, storm int) {
	t.Helper()
	if !stormRE.Match(demoSeed) || !daysRE.Match(demoSeed) {
		t.Fatal("the demo's study has no 429 storm or dosing days to shorten")
	}
	short := stormRE.ReplaceAll(demoSeed, []byte(`rave_faults = "429storm:4@$1"`))
	short = daysRE.ReplaceAll(short, []byte(`days = 4`))
	path = filepath.Join(t.TempDir(), "study.toml")
	if err := os.WriteFile(path, short, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, 4
}

// demoReference is what a fault-free pull of the demo's study stores: the rows it reads and the
// fragments it quarantines (the malformed subject's). The demo must end with the same counts.
func demoReference(t *testing.T, seedPath string) (rows, quarantined int) {
	t.Helper()
	st, err := seed.Load(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	opts := simrws.FromSeed(st)
	opts.Faults = ""
	s, err := simrws.Start("127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	o := s.Options()
	client, err := rws.New(rws.Config{BaseURL: s.URL(), Auth: rws.BasicAuth(o.User, o.Password)})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "ref.db"), store.Options{Keyring: &memKeyring{m: map[string]string{}}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := ravepull.New(ravepull.Options{DB: db, Source: client, Log: zerolog.Nop()}).
		Pull(t.Context(), ravepull.Study{OID: st.OID, Sites: o.Sites})
	if err != nil {
		t.Fatal(err)
	}
	return res.Rows, res.Quarantined
}

// memKeyring is an in-memory store.Keyring for the reference store (this test binary keeps go-keyring
// on the real Secret Service for the other tests).
type memKeyring struct {
	mu sync.Mutex
	m  map[string]string
}

func (k *memKeyring) Get(name string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if v, ok := k.m[name]; ok {
		return v, nil
	}
	return "", store.ErrSecretNotFound
}

func (k *memKeyring) Set(name, secret string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[name] = secret
	return nil
}

func (k *memKeyring) Delete(name string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, name)
	return nil
}

// TestDemoHeadless runs `trialsync demo --headless` as a new user would, with the OS keyring and on a
// machine where none runs: each completes with exit 0 and the summary of the seeded scenario (the
// reference pull's rows and quarantined fragments, the storm's 429s, every dose sent but the wrong
// drug's (an urgent dead letter), every subject pushed, the arm changed after its push flagged, the
// seed's checklist conflicts, an intact audit trail), says where its secrets went, and leaves neither
// its directory nor keyring entries behind.
func TestDemoHeadless(t *testing.T) {
	bin := buildBinary(t)
	seedPath, storm := shortStormSeed(t)
	rows, quarantined := demoReference(t, seedPath)
	st, err := seed.Load(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	subjects, conflicts := len(st.Subjects()), len(st.Checklist.Conflicts)
	cases := []struct {
		name    string
		env     []string
		keyring string
		real    bool
	}{
		{"OS keyring", nil, "secrets: in the OS keyring under the service trialsync-demo (removed when the demo ends)", true},
		{"no keyring", []string{"DBUS_SESSION_BUS_ADDRESS=disabled:"},
			"secrets: in memory for this demo only (go-keyring's mock): no OS keyring (Secret Service) answers on this machine", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.real {
				needKeyring(t)
			}
			cmd := exec.CommandContext(t.Context(), bin, "demo", "--headless", "--seed", seedPath)
			cmd.Env = append(os.Environ(), tc.env...)
			start := time.Now()
			out, err := cmd.CombinedOutput()
			text := string(out)
			if err != nil {
				t.Fatalf("demo --headless: %v\n%s", err, text)
			}
			t.Logf("demo --headless took %s", time.Since(start).Round(time.Second))
			for _, want := range []string{
				fmt.Sprintf("rows pulled from Rave:   %s (%d quarantined; the simulated Rave answered 429 %d times)", thousands(rows), quarantined, storm),

				"audit trail:             intact (", tc.keyring,
				"simulated Rave on http://127.0.0.1:", "simulated SureAdhere on http://127.0.0.1:",
				"simulated EDC on http://127.0.0.1:", "simulated CTMS on http://127.0.0.1:",
				"[1/5] Pulling the study", "[2/5] Sending", "[3/5] Pushing", "[4/5] Reconciling", "[5/5] Verifying the audit trail",
				"dead letters:            1 (1 urgent: a drug outside the subject's arm)",
				fmt.Sprintf("checklist conflicts:     %d (for a person to decide)", conflicts),
				"arm changes after push:  1 (for a person to decide)",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("the demo's output lacks %q:\n%s", want, text)
				}
			}
			queued := regexp.MustCompile(`([\d,]+) dose records queued`).FindStringSubmatch(text)
			pushed := regexp.MustCompile(`([\d,]+) randomized subjects found, ([\d,]+) pushed, 0 dead`).FindStringSubmatch(text)
			sent := regexp.MustCompile(`messages sent: +([\d,]+)`).FindStringSubmatch(text)
			if queued == nil || pushed == nil || sent == nil || atoi(t, pushed[2]) != subjects ||
				atoi(t, sent[1]) != atoi(t, queued[1])-1+subjects || atoi(t, queued[1]) == 0 {
				t.Errorf("queued %v, pushed %v, sent %v: want every dose but the wrong drug's and every subject sent", queued, pushed, sent)
			}
			if strings.Contains(text, demoRavePassword) {
				t.Error("the demo printed a secret")
			}
			dir := regexp.MustCompile(`store and configuration in (\S+)`).FindStringSubmatch(text)
			if dir == nil {
				t.Fatalf("the demo does not say where its store is:\n%s", text)
			}
			if _, err := os.Stat(dir[1]); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the demo's directory %s is still there (%v)", dir[1], err)
			}
			if tc.real {
				if _, err := keyring.Get(demoKeyringService, "rave.password"); !errors.Is(err, keyring.ErrNotFound) {
					t.Errorf("the demo left rave.password in the keyring (%v)", err)
				}
			}
		})
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDemoUsage: bad flags are usage errors (exit 2), before anything starts.
func TestDemoUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"demo", "--headless", "--verify-every", "1s"}, "--verify-every must be at least 10s"},
		{[]string{"demo", "--headless", "--poll", "1ms"}, "--poll must be at least 1s"},
		{[]string{"demo", "--headless", "extra"}, "takes no arguments"},
	} {
		r := cli(t, "", tc.args...)
		oneLineError(t, r, 2, tc.want)
	}
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	oneLineError(t, cli(t, "", "demo"), 2, "no display to open the demo's window on: run trialsync demo --headless")
}

// TestDemoBadSeed: a study description that cannot be read stops the demo with its reason (exit 1).
func TestDemoBadSeed(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "study.toml")
	if err := os.WriteFile(bad, []byte("[study]\noid = \"X\"\nnope = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	oneLineError(t, cli(t, "", "demo", "--headless", "--seed", bad), 1, "unknown key")
	oneLineError(t, cli(t, "", "demo", "--headless", "--seed", filepath.Join(t.TempDir(), "none.toml")), 1, "no such file")
}
