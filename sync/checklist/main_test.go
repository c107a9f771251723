package checklist

import (
	"flag"
	"os"
	"testing"
)

// TestMain turns rapid's fail files off unless the command line says otherwise: a failing property test
// prints its seed and the steps that fail, and a plain `go test ./...` must not write into testdata/.
func TestMain(m *testing.M) {
	if f := flag.Lookup("rapid.nofailfile"); f != nil {
		_ = f.Value.Set("true")
	}
	os.Exit(m.Run())
}
