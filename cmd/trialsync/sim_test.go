package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
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
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"sim", "rws", "--addr", "127.0.0.1:0", "--faults", "slow:1ms", "--seed", "4"}, strings.NewReader(""), io.Discard, pw)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		t.Fatalf("no output; exit %d", <-done)
	}
	m := regexp.MustCompile(`^rws simulator: (http://127\.0\.0\.1:\d+/RaveWebServices) `).FindStringSubmatch(lines.Text())
	if m == nil {
		t.Fatalf("first line %q", lines.Text())
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	resp, err := http.Get(m[1] + "/version")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "1.0.0" {
		t.Fatalf("version %q", b)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d after interrupt", code)
	}
}
