// Package simtest is what the tests of the simulators, and the tests that run a client against one,
// share: a simulator started for one test, an HTTP exchange read whole, and the demo's study.
package simtest

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/trialsync/trialsync/sync/sim/seed"
)

// Start starts a simulator with start (simrws.Start, simsureadhere.Start, simchecklist.Start) on a
// free loopback port and closes it when the test ends:
//
//	s := simtest.Start(t, simrws.Start, simrws.Options{Seed: 7})
func Start[S io.Closer, O any](tb testing.TB, start func(addr string, opts O) (S, error), opts O) S {
	tb.Helper()
	s, err := start("127.0.0.1:0", opts)
	if err != nil {
		tb.Fatalf("starting the simulator: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// Answer is one HTTP exchange, read to its end.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
	// Err is why the request failed, or why its body could not be read whole (a fault cut it).
	Err error
}

// Do sends req with http.DefaultClient, after setting the headers given as name, value pairs (an
// empty value removes that header), and reads the whole answer.
func Do(req *http.Request, headers ...string) Answer {
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Answer{Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return Answer{Status: resp.StatusCode, Header: resp.Header, Body: b, Err: err}
}

// DemoStudy loads the demo's study, testdata/seed/study.toml at the root of the module, from a test
// in any package of it.
func DemoStudy(tb testing.TB) *seed.Study {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		up := filepath.Dir(dir)
		if up == dir {
			tb.Fatal("the module's root (go.mod) is not above the test's directory")
		}
		dir = up
	}
	st, err := seed.Load(filepath.Join(dir, "testdata", "seed", "study.toml"))
	if err != nil {
		tb.Fatal(err)
	}
	return st
}
