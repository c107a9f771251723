package checklist

import (
	"os"
	"path/filepath"
	"time"
)

// tb is what the helpers need of a test: *testing.T, *testing.B and *rapid.T all have it.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// fixture reads a raw record from testdata/.
func fixture(t tb, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func utc(t tb, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

// defaultEngine is the engine of the command-line contract's defaults.
func defaultEngine(t tb) *Engine {
	t.Helper()
	e, err := New(DefaultEDC(), DefaultCTMS(), DefaultOwners())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func mustAdapter(t tb, s System, m Mapping) *Adapter {
	t.Helper()
	a, err := NewAdapter(s, m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
