package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigCheck(t *testing.T) {
	isolate(t)
	cases := []struct {
		name, body string
		code       int
		want       string
	}{
		{"good", "[rave]\nurl = \"https://example.mdsol.com/RaveWebServices\"\nauth = \"basic\"\nuser = \"rws.integration\"\n\n[[rave.study]]\noid = \"ALPHA(Prod)\"\n", 0, "ok: "},
		{"corrupt", "[rave\nurl = \"x\"\n", 1, "config.toml:1: "},
		{"unknown key", "[rave]\nurl = \"https://example.mdsol.com/RaveWebServices\"\nauth = \"basic\"\nuser = \"u\"\npagesize = 5\n", 1, "config.toml:5: "},
		{"secret in file", "[rave]\nurl = \"https://example.mdsol.com/RaveWebServices\"\nauth = \"basic\"\nuser = \"u\"\npassword = \"hunter2\"\n", 1, "creds set"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.toml")
			os.WriteFile(path, []byte(tc.body), 0o600)
			fi0, _ := os.Stat(path)
			r := cli(t, "", "--config", path, "--store", filepath.Join(t.TempDir(), "s.db"), "config", "check")
			if tc.code == 0 {
				if r.code != 0 || !strings.Contains(r.stderr, tc.want) {
					t.Fatalf("exit %d %q", r.code, r.stderr)
				}
			} else {
				oneLineError(t, r, tc.code, tc.want)
				if strings.Contains(r.stderr, "hunter2") {
					t.Fatal("the error repeats the secret")
				}
			}
			after, _ := os.ReadFile(path)
			fi1, _ := os.Stat(path)
			if string(after) != tc.body || !fi0.ModTime().Equal(fi1.ModTime()) {
				t.Fatal("config file was modified")
			}
		})
	}
	r := cli(t, "", "--config", filepath.Join(t.TempDir(), "absent.toml"), "config", "check")
	oneLineError(t, r, 1, "absent.toml")
}
