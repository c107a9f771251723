package checklist

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fixture reads a raw record from testdata/.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func utc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

// defaultEngine is the engine of the command-line contract's defaults.
func defaultEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := New(DefaultEDC(), DefaultCTMS(), DefaultOwners())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func mustAdapter(t testing.TB, s System, m Mapping) *Adapter {
	t.Helper()
	a, err := NewAdapter(s, m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
