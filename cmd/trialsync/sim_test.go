package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestSimRWSUsage(t *testing.T) {
	oneLineError(t, cli(t, "", "sim", "rws", "--addr", "127.0.0.1:0", "--faults", "429:2"), 2, "not a probability")
	oneLineError(t, cli(t, "", "sim", "rws", "--addr", "127.0.0.1:0", "--subjects", "0"), 2, "--subjects")
	oneLineError(t, cli(t, "", "sim", "rws", "--addr", "0.0.0.0:0"), 1, "not loopback")
	oneLineError(t, cli(t, "", "sim"), 2, "needs a subcommand")
}

// TestSimRWSServes runs `trialsync sim rws` in-process until its context ends and talks to it.
func TestSimRWSServes(t *testing.T) {
	u, _ := serveSim(t, `^rws simulator: (http://127\.0\.0\.1:\d+/RaveWebServices) `,
		"sim", "rws", "--addr", "127.0.0.1:0", "--faults", "slow:1ms", "--seed", "4")
	resp, err := http.Get(u + "/version")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "1.0.0" {
		t.Fatalf("version %q", b)
	}
}

// seedFile is the demo's study description.
var seedFile = filepath.Join("..", "..", "testdata", "seed", "study.toml")

func TestSimUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"sim", "rws", "--seed-file", seedFile, "--subjects", "3"}, 2, "--seed-file describes the study: drop --subjects"},
		{[]string{"sim", "rws", "--addr", "127.0.0.1:0", "--faults", "txfail:3"}, 2, "txfail"},
		{[]string{"sim", "rws", "--addr", "127.0.0.1:0", "--seed-file", "no-such.toml"}, 1, "no such file"},
		{[]string{"sim", "sureadhere", "--addr", "127.0.0.1:0", "--faults", "hail:1"}, 2, "unknown fault"},
		{[]string{"sim", "sureadhere", "--addr", "127.0.0.1:0", "--rate", "0"}, 2, "--rate"},
		{[]string{"sim", "sureadhere", "--addr", "0.0.0.0:0"}, 1, "not loopback"},
		{[]string{"sim", "edc", "--addr", "127.0.0.1:0", "--faults", "drop:x"}, 2, "not a probability"},
		{[]string{"sim", "edc", "--addr", "127.0.0.1:0", "--synthetic", "10", "--seed-file", seedFile}, 2, "--synthetic"},
		{[]string{"sim", "ctms", "--addr", "127.0.0.1:0", "--drift", "2"}, 2, "--drift"},
		{[]string{"sim", "ctms", "--addr", "127.0.0.1:0", "--seed-file", "no-such.toml"}, 1, "no such file"},
		{[]string{"sim", "ctms", "--addr", "[::]:0"}, 1, "not loopback"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			oneLineError(t, cli(t, "", tc.args...), tc.code, tc.msg)
		})
	}
}

// serveSim runs one `trialsync sim …` in-process, returns the URL its first line announces and the
// rest of its output so far, and stops it when the test ends (checking it exits 0).
func serveSim(t *testing.T, pattern string, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, args, strings.NewReader(""), io.Discard, pw)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		cancel()
		t.Fatalf("no output; exit %d", <-done)
	}
	m := regexp.MustCompile(pattern).FindStringSubmatch(lines.Text())
	if m == nil {
		cancel()
		t.Fatalf("first line %q", lines.Text())
	}
	lines.Scan()
	second := lines.Text()
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("exit %d after interrupt", code)
		}
	})
	return m[1], second
}

// TestSimJSONServes starts `trialsync sim sureadhere|edc|ctms` (and rws from the seed file) and
// talks to each with its default token.
func TestSimJSONServes(t *testing.T) {
	send := func(method, url, body string, header ...string) (int, string) {
		req, _ := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	t.Run("sureadhere", func(t *testing.T) {
		url, info := serveSim(t, `^sureadhere simulator: (http://127\.0\.0\.1:\d+/treatment/ingest/mrn_regimen)$`, "sim", "sureadhere", "--addr", "127.0.0.1:0", "--seed-file", seedFile)
		if info != "workspace ALPHA, sites 101,102,103, regimens Group 1, Group 2" {
			t.Fatalf("second line %q", info)
		}
		body := `{"mrn":"101-001","regimen":"Group 1","site_code":"101"}`
		for _, want := range []int{201, 409} {
			if code, b := send("POST", url, body, "MRNIntegrationToken", "sim-sureadhere-token", "Content-Type", "application/json"); code != want {
				t.Fatalf("%d %s, want %d", code, b, want)
			}
		}
	})
	for _, tc := range []struct{ sys, token, word string }{{"edc", "sim-edc-token", `"status":"`}, {"ctms", "sim-ctms-token", `"state":"`}} {
		t.Run(tc.sys, func(t *testing.T) {
			base, info := serveSim(t, `^`+tc.sys+` simulator: (http://127\.0\.0\.1:\d+)/v1/checklist-items$`, "sim", tc.sys, "--addr", "127.0.0.1:0", "--synthetic", "2500", "--drift", "0.01", "--faults", "slow:1ms")
			if info != "study ALPHA, 25 sites, 2500 items" {
				t.Fatalf("second line %q", info)
			}
			code, b := send("GET", base+"/v1/checklist-items?study_id=ALPHA&limit=2", "", "Authorization", "Bearer "+tc.token)
			if code != 200 || !strings.Contains(b, tc.word) || !strings.Contains(b, `"next_cursor":"`) {
				t.Fatalf("%d %s", code, b)
			}
		})
	}
	t.Run("rws from the seed file", func(t *testing.T) {
		url, info := serveSim(t, `^rws simulator: (http://127\.0\.0\.1:\d+/RaveWebServices) `, "sim", "rws", "--addr", "127.0.0.1:0", "--seed-file", seedFile, "--faults", "none")
		if !strings.HasPrefix(info, "study ALPHA(Prod), sites 101,102,103, 300 subjects") {
			t.Fatalf("second line %q", info)
		}
		if code, _ := send("GET", url+"/version", ""); code != 200 {
			t.Fatal(code)
		}
	})
}
