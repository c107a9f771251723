package config

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadFull(t *testing.T) {
	got, err := Load("testdata/full.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Path: "testdata/full.toml",
		Rave: &Rave{
			URL:      "https://example.mdsol.com/RaveWebServices",
			Auth:     AuthBasic,
			User:     "rws.integration",
			PageSize: 500,
			Poll:     2*time.Minute + 30*time.Second,
			Studies: []Study{
				{OID: "ALPHA(Prod)", Sites: []string{"101", "102"}, ArmItem: "RAND.ARM"},
				{OID: "BETA(Prod)"},
			},
		},
		Exposure: &Exposure{
			StudyOID:    "ALPHA(Prod)",
			StudyEvent:  "SM",
			Drugs:       map[string]string{"Isoniazid": "EX_INH", "Rifapentine": "EX_RPT"},
			MaxAttempts: 5,
			IntakeAddr:  "127.0.0.1:8377",
		},
		SureAdhere: &SureAdhere{
			URL:      "https://sureadhere.example.org:8004",
			Regimens: map[string]string{"Arm A": "Group 1", "Arm B": "Group 2"},
		},
		Checklist: &Checklist{
			StudyID: "ALPHA",
			EDCURL:  "https://edc.example.org",
			CTMSURL: "https://ctms.example.org",
			Owners: map[string]Owner{
				"status": OwnerEDC, "evidence_doc_id": OwnerEDC,
				"milestone_signed_off": OwnerCTMS, "planned_activation_date": OwnerCTMS,
			},
			PageSize:       DefaultChecklistPageSize,
			ReconcileEvery: time.Hour,
		},
		Send: &Send{Every: 30 * time.Second},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load(full.toml):\n got %+v\nwant %+v", got, want)
		for _, pair := range [][2]any{{got.Rave, want.Rave}, {got.Exposure, want.Exposure}, {got.SureAdhere, want.SureAdhere}, {got.Checklist, want.Checklist}, {got.Send, want.Send}} {
			if !reflect.DeepEqual(pair[0], pair[1]) {
				t.Errorf("section differs:\n got %+v\nwant %+v", pair[0], pair[1])
			}
		}
	}
}

func TestLoadDefaults(t *testing.T) {
	tests := []struct {
		file string
		want *Config
	}{
		{"empty.toml", &Config{Path: "testdata/empty.toml"}},
		{"defaults.toml", &Config{
			Path: "testdata/defaults.toml",
			Rave: &Rave{
				URL:      "http://127.0.0.1:8080/RaveWebServices",
				Auth:     AuthOAuth2,
				ClientID: "trialsync",
				TokenURL: "http://127.0.0.1:8080/oauth/token",
				PageSize: DefaultPageSize,
				Poll:     DefaultPoll,
				Studies:  []Study{{OID: "ALPHA(Dev)"}},
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := Load(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v (rave %+v)\nwant %+v (rave %+v)", got, got.Rave, tt.want, tt.want.Rave)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	const secretMarker = "do-not-echo" // every secret value in the fixtures contains it
	tests := []struct {
		file   string
		line   int
		reason string
	}{
		{"syntax.toml", 3, "basic strings cannot have new lines"},
		{"syntax_table.toml", 4, "expected ']' to close table name"},
		{"not_utf8.toml", 4, "invalid UTF-8 character in basic string"},
		{"duplicate_key.toml", 4, "rave.url is set twice (first at line 2)"},
		{"unknown_key.toml", 7, `unknown key "rave.pagesize"`},
		{"unknown_study_key.toml", 11, `unknown key "rave.study[1].site"`},
		{"unknown_table.toml", 6, `unknown table "raves"`},
		{"study_subtable.toml", 12, `unknown table "rave.study[1].extra"`},
		{"wrong_type.toml", 5, "rave.page_size must be an integer, not a string"},
		{"wrong_map_type.toml", 9, "exposure.drugs.Rifapentine must be a string, not an integer"},
		{"password.toml", 5, "rave.password looks like a secret; secrets belong in the OS keyring, never in the config (trialsync creds set rave.password)"},
		{"token.toml", 4, "sureadhere.token looks like a secret; secrets belong in the OS keyring, never in the config (trialsync creds set sureadhere.token)"},
		{"nested_secret.toml", 5, "checklist.auth.api_key looks like a secret; secrets belong in the OS keyring, never in the config (trialsync creds set NAME)"},
		{"url_userinfo.toml", 2, "rave.url must not carry a user name or password; credentials belong in the OS keyring (trialsync creds set NAME)"},
		{"url_relative.toml", 2, "rave.url must be an absolute http or https URL"},
		{"url_scheme.toml", 2, "sureadhere.url must be an absolute http or https URL"},
		{"http_rave.toml", 2, "rave.url uses plain http to a host that is not this machine, so credentials would cross the network in clear; use https"},
		{"http_token_url.toml", 5, "rave.token_url uses plain http to a host that is not this machine, so credentials would cross the network in clear; use https"},
		{"http_sureadhere.toml", 2, "sureadhere.url uses plain http to a host that is not this machine, so credentials would cross the network in clear; use https"},
		{"http_edc.toml", 3, "checklist.edc_url uses plain http to a host that is not this machine, so credentials would cross the network in clear; use https"},
		{"http_ctms.toml", 5, "checklist.ctms_url uses plain http to a host that is not this machine, so credentials would cross the network in clear; use https"},
		{"bad_auth.toml", 3, `rave.auth must be "basic" or "oauth2", not "digest"`},
		{"missing_auth.toml", 2, `rave.auth is missing: "basic" or "oauth2"`},
		{"oauth2_missing.toml", 1, `rave.token_url is missing with auth = "oauth2"`},
		{"basic_with_client_id.toml", 5, `rave.client_id is not used with auth = "basic"; remove it`},
		{"bad_poll.toml", 5, `rave.poll must be a duration such as "5m" or "30s", not "5 minutes"`},
		{"short_poll.toml", 5, "rave.poll must be at least 1s, not 10ms"},
		{"zero_page_size.toml", 5, "rave.page_size must be at least 1, not 0"},
		{"zero_requests_per_second.toml", 5, "rave.requests_per_second must be above 0, not 0"},
		{"nan_requests_per_second.toml", 5, "rave.requests_per_second must be a finite number above 0, not nan"},
		{"inf_requests_per_second.toml", 5, "rave.requests_per_second must be a finite number above 0, not inf"},
		{"empty_oid.toml", 11, "rave.study[1].oid is empty"},
		{"inline_studies.toml", 7, "rave.study[1].oid is empty"},
		{"duplicate_study.toml", 10, `rave.study[1].oid "ALPHA(Prod)" is already configured at line 7`},
		{"duplicate_site.toml", 11, `rave.study[0].sites[2] "101" is listed twice`},
		{"exposure_without_rave.toml", 1, "[exposure] sends dose log lines to Rave: it needs a [rave] section"},
		{"missing_study_event.toml", 6, "exposure.study_event is missing"},
		{"empty_drugs.toml", 9, "exposure.drugs is empty"},
		{"empty_drug_key.toml", 10, "exposure.drugs has an empty key"},
		{"zero_attempts.toml", 10, "exposure.max_attempts must be at least 1, not 0"},
		{"intake_no_port.toml", 10, `exposure.intake_addr must be host:port, not "127.0.0.1"`},
		{"intake_not_loopback.toml", 10, `exposure.intake_addr must be a loopback address (127.0.0.1, [::1] or localhost), not "0.0.0.0"`},
		{"bad_owner.toml", 5, `checklist.owners.milestone_signed_off must be "edc" or "ctms", not "sponsor"`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			before := snapshot(t, path)

			cfg, err := Load(path)

			if cfg != nil {
				t.Errorf("Load returned a config along with the error: %+v", cfg)
			}
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("Load error = %v (%T), want *config.Error", err, err)
			}
			if cerr.File != path || cerr.Line != tt.line || cerr.Reason != tt.reason {
				t.Errorf("error = %q\nwant    %s:%d: %s", err, path, tt.line, tt.reason)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || strings.Contains(msg, secretMarker) {
				t.Errorf("error %q spans lines or repeats a secret", msg)
			}
			if errors.Is(err, ErrNotFound) {
				t.Error("a bad config reported as not found")
			}
			if after := snapshot(t, path); after != before {
				t.Errorf("Load changed %s: %+v -> %+v", path, before, after)
			}
		})
	}
}

// fileState is what a read must not change.
type fileState struct {
	sum     [32]byte
	mode    os.FileMode
	modTime time.Time
}

func snapshot(t *testing.T, path string) fileState {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fileState{sum: sha256.Sum256(data), mode: info.Mode(), modTime: info.ModTime()}
}

func TestLoadUnreadable(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.toml")
	if err := os.WriteFile(big, bytes.Repeat([]byte("# padding\n"), maxFileSize/10+1), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "config.toml")
	tests := []struct {
		name     string
		path     string
		want     string
		notFound bool
	}{
		{"missing file", missing, "config " + missing + " not found", true},
		{"directory", dir, "config: read " + dir + ": read " + dir + ": is a directory", false},
		{"too large", big, big + ":1: file is larger than 1048576 bytes; not a trialsync config", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.path)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Load(%s) error = %v, want %q", tt.path, err, tt.want)
			}
			if got := errors.Is(err, ErrNotFound); got != tt.notFound {
				t.Errorf("errors.Is(err, ErrNotFound) = %v, want %v", got, tt.notFound)
			}
		})
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load created %s: %v", missing, err)
	}
}

func TestSecretKey(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"password", true},
		{"Password", true},
		{"rave_passwd", true},
		{"client_secret", true},
		{"token", true},
		{"access_token", true},
		{"bearerAuth", true},
		{"api_key", true},
		{"pwd", true},
		{"token_url", false},
		{"client_id", false},
		{"user", false},
		{"url", false},
		{"auth", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := secretKey(tt.name); got != tt.want {
				t.Errorf("secretKey(%q) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

// Keys inside data tables (drug names, arms, field names) are data, not settings: a drug or arm whose
// name contains "token" is not refused as a secret.
func TestMapKeysAreNotSecrets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	doc := `[sureadhere]
url = "https://sureadhere.example.org"
regimens = { "Token arm" = "Group 1", "secret_placebo" = "Group 2" }
`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.SureAdhere.Regimens["Token arm"]; got != "Group 1" {
		t.Errorf("regimen = %q", got)
	}
}

// TestPlainHTTPToThisMachine: plain http is accepted for this machine under any of its names (the
// simulators and a local tunnel live there), and for nothing else (TestLoadErrors).
func TestPlainHTTPToThisMachine(t *testing.T) {
	for _, host := range []string{"127.0.0.1:8080", "127.10.0.3", "localhost:9000", "LocalHost.", "[::1]:8443"} {
		t.Run(host, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.toml")
			doc := "[sureadhere]\nurl = \"http://" + host + "\"\nregimens = { \"Arm A\" = \"Group 1\" }\n"
			if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(path); err != nil {
				t.Fatalf("http://%s refused: %v", host, err)
			}
		})
	}
}
