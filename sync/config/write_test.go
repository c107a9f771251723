package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestSaveRoundTrip: every valid file, saved again, loads to the same configuration, and the file it
// replaced is kept beside it.
func TestSaveRoundTrip(t *testing.T) {
	for _, name := range []string{"full.toml", "defaults.toml"} {
		t.Run(name, func(t *testing.T) {
			cfg, err := Load(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			orig, _ := os.ReadFile(filepath.Join("testdata", name))
			path := filepath.Join(t.TempDir(), "config.toml")
			if err := os.WriteFile(path, orig, 0o640); err != nil {
				t.Fatal(err)
			}
			saved, err := Save(path, cfg)
			if err != nil {
				t.Fatal(err)
			}
			again, err := Load(path)
			if err != nil {
				t.Fatalf("Load after Save: %v", err)
			}
			cfg.Path = path
			if !reflect.DeepEqual(again, cfg) || !reflect.DeepEqual(saved, cfg) {
				t.Errorf("after a round trip:\n got %+v\nwant %+v", again, cfg)
			}
			if bak, _ := os.ReadFile(path + ".bak"); string(bak) != string(orig) {
				t.Error("the previous file was not kept as .bak")
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
				t.Errorf("the saved file's mode is %v, want the previous file's 0640", fi.Mode().Perm())
			}
		})
	}
}

// TestSaveRefuses: a configuration Load would refuse is never written; Check names each bad key.
func TestSaveRefuses(t *testing.T) {
	good, err := Load("testdata/full.toml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		change func(c *Config)
		key    string
		reason string
	}{
		{"short poll", func(c *Config) { c.Rave.Poll = 10 * time.Millisecond }, "rave.poll", "at least 1s"},
		{"plain http", func(c *Config) { c.SureAdhere.URL = "http://sureadhere.example.org" }, "sureadhere.url", "use https"},
		{"user in URL", func(c *Config) { c.Rave.URL = "https://u:p@example.org/RaveWebServices" }, "rave.url", "OS keyring"},
		{"empty regimen", func(c *Config) { c.SureAdhere.Regimens = map[string]string{"Arm A": ""} }, "sureadhere.regimens.Arm A", "is empty"},
		{"no regimens", func(c *Config) { c.SureAdhere.Regimens = map[string]string{} }, "sureadhere.regimens", "is empty"},
		{"bad owner", func(c *Config) { c.Checklist.Owners["status"] = "crm" }, "checklist.owners.status", `"edc" or "ctms"`},
		{"short verify", func(c *Config) { c.Audit = &Audit{VerifyEvery: time.Second} }, "audit.verify_every", "at least 10s"},
		{"oauth2 without client", func(c *Config) { c.Rave.Auth = AuthOAuth2; c.Rave.User = "" }, "rave", "rave.client_id is missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _ := Load("testdata/full.toml")
			tc.change(cfg)
			problems := Check(cfg)
			if len(problems) == 0 || problems[0].Key != tc.key || !strings.Contains(problems[0].Reason, tc.reason) {
				t.Fatalf("Check: %+v, want %s: …%s…", problems, tc.key, tc.reason)
			}
			path := filepath.Join(t.TempDir(), "config.toml")
			if err := os.WriteFile(path, []byte("# before\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Save(path, cfg); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Save: %v, want ErrInvalid", err)
			}
			if b, _ := os.ReadFile(path); string(b) != "# before\n" {
				t.Errorf("Save of an invalid configuration changed the file to %q", b)
			}
			if _, err := os.Stat(path + ".bak"); err == nil {
				t.Error("Save of an invalid configuration left a .bak")
			}
		})
	}
	if p := Check(good); len(p) != 0 {
		t.Errorf("Check(full.toml) = %+v, want nothing", p)
	}
}

// TestSchedules: each service's interval, its default when the section or key is absent, and the
// problems of a value that is not a duration or is too short.
func TestSchedules(t *testing.T) {
	var none *Config
	if none.VerifyEvery() != DefaultVerifyEvery || none.SendEvery() != DefaultSendEvery || none.ReconcileEvery() != DefaultReconcileEvery {
		t.Error("no configuration: not the defaults")
	}
	verify := func(c *Config) time.Duration { return c.VerifyEvery() }
	send := func(c *Config) time.Duration { return c.SendEvery() }
	reconcile := func(c *Config) time.Duration { return c.ReconcileEvery() }
	const checklist = "[checklist]\nstudy_id = \"A\"\nedc_url = \"https://edc.example.org\"\nctms_url = \"https://ctms.example.org\"\n"
	path := filepath.Join(t.TempDir(), "c.toml")
	for _, tc := range []struct {
		name string
		of   func(*Config) time.Duration
		file string
		want time.Duration
		err  string
	}{
		{"verify absent", verify, "", DefaultVerifyEvery, ""},
		{"verify empty section", verify, "[audit]\n", DefaultVerifyEvery, ""},
		{"verify set", verify, "[audit]\nverify_every = \"6h\"\n", 6 * time.Hour, ""},
		{"verify too short", verify, "[audit]\nverify_every = \"5s\"\n", 0, ":2: audit.verify_every must be at least 10s, not 5s"},
		{"verify not a duration", verify, "[audit]\nverify_every = \"daily\"\n", 0, `:2: audit.verify_every must be a duration such as "24h" or "30m", not "daily"`},
		{"verify unknown key", verify, "[audit]\nevery = \"6h\"\n", 0, `:2: unknown key "audit.every"`},
		{"send absent", send, "", DefaultSendEvery, ""},
		{"send empty section", send, "[send]\n", DefaultSendEvery, ""},
		{"send set", send, "[send]\nevery = \"30s\"\n", 30 * time.Second, ""},
		{"send too short", send, "[send]\nevery = \"100ms\"\n", 0, ":2: send.every must be at least 1s, not 100ms"},
		{"send not a duration", send, "[send]\nevery = \"often\"\n", 0, `:2: send.every must be a duration such as "1m" or "30s", not "often"`},
		{"reconcile absent", reconcile, checklist, DefaultReconcileEvery, ""},
		{"reconcile set", reconcile, checklist + "reconcile_every = \"1h\"\n", time.Hour, ""},
		{"reconcile too short", reconcile, checklist + "reconcile_every = \"1s\"\n", 0, ":5: checklist.reconcile_every must be at least 10s, not 1s"},
		{"reconcile not a duration", reconcile, checklist + "reconcile_every = 15\n", 0, ":5: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(path)
			switch {
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("%q: error %v, want …%s", tc.file, err, tc.err)
			case tc.err == "" && err != nil:
				t.Errorf("%q: %v", tc.file, err)
			case tc.err == "" && tc.of(cfg) != tc.want:
				t.Errorf("%q: every %s, want %s", tc.file, tc.of(cfg), tc.want)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		5 * time.Minute: "5m", 24 * time.Hour: "24h", 90 * time.Second: "1m30s", 2*time.Hour + 30*time.Minute: "2h30m",
		time.Hour + time.Second: "1h0m1s", 1500 * time.Millisecond: "1.5s",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
		if back, err := time.ParseDuration(Duration(d)); err != nil || back != d {
			t.Errorf("Duration(%v) reads back as %v (%v)", d, back, err)
		}
	}
}

// TestSaveKeepsEverySetting fills every setting of every section with a value other than its zero and
// its default, saves and loads it again: a field Encode does not write (one added to Config later)
// would come back different. Settings the validator ties together get values that fit each other.
func TestSaveKeepsEverySetting(t *testing.T) {
	cfg := &Config{
		Rave: &Rave{URL: "https://rave.example.org/RaveWebServices", Auth: AuthOAuth2, ClientID: "trialsync",
			TokenURL: "https://rave.example.org/oauth2/token", PageSize: 250, Poll: 90 * time.Second, RequestsPerSecond: 2.5,
			Studies: []Study{{OID: "ALPHA(Prod)", Sites: []string{"101"}, ArmItem: "RAND.ARM"}}},
		Exposure: &Exposure{StudyOID: "ALPHA(Prod)", StudyEvent: "SM", Drugs: map[string]string{"Isoniazid": "EX_INH"},
			MaxAttempts: 7, IntakeAddr: "127.0.0.1:8377"},
		SureAdhere: &SureAdhere{URL: "https://sa.example.org", Regimens: map[string]string{"Arm A": "Group 1"}},
		Checklist: &Checklist{StudyID: "ALPHA", EDCURL: "https://edc.example.org", CTMSURL: "https://ctms.example.org",
			Owners: map[string]Owner{"status": OwnerCTMS}, PageSize: 200, ReconcileEvery: 2 * time.Hour,
			EDC: ChecklistSystem{Fields: map[string]string{"operator": ""}, Statuses: map[string]string{"complete": "DONE"},
				ListPath: "/api/items", ItemPath: "/api/items/{site}/{code}"},
			CTMS: ChecklistSystem{Fields: map[string]string{"status": "stage"}, Statuses: map[string]string{"rejected": "Redo"},
				ListPath: "/v2/tasks", ItemPath: "/v2/tasks/{site}/{code}"}},
		Audit: &Audit{VerifyEvery: 6 * time.Hour},
		Send:  &Send{Every: 45 * time.Second},
	}
	assertAllSet(t, reflect.ValueOf(cfg).Elem(), "Config")
	path := filepath.Join(t.TempDir(), "config.toml")
	if _, err := Save(path, cfg); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Path = path
	if !reflect.DeepEqual(got, cfg) {
		t.Errorf("a setting was lost on the way:\n got %+v\nwant %+v", got, cfg)
	}
}

// assertAllSet fails for every field of v (recursively through pointers and structs) left at its zero
// value, so that the test above grows with Config. Path is the file's, and Rave.User belongs to Basic
// sign-in, which excludes OAuth2's client (TestSaveRoundTrip's full.toml keeps it).
func assertAllSet(t *testing.T, v reflect.Value, where string) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			t.Errorf("%s is not set: give it a value in the test", where)
			return
		}
		assertAllSet(t, v.Elem(), where)
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.Name != "Path" && where+"."+f.Name != "Config.Rave.User" {
				assertAllSet(t, v.Field(i), where+"."+f.Name)
			}
		}
	default:
		if v.IsZero() {
			t.Errorf("%s is not set: give it a value in the test", where)
		}
	}
}
