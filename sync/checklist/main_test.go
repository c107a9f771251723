package checklist

import (
	"flag"
	"os"
	"testing"

	"github.com/zalando/go-keyring"
)

// TestMain puts go-keyring's mock in place of the OS keyring for the stores the tests open, and turns
// rapid's fail files off unless the command line says otherwise: a failing property test
// prints its seed and the steps that fail, and a plain `go test ./...` must not write into testdata/.
func TestMain(m *testing.M) {
	keyring.MockInit() // the orchestrator's tests open real stores; their keyring is go-keyring's mock
	if f := flag.Lookup("rapid.nofailfile"); f != nil {
		_ = f.Value.Set("true")
	}
	os.Exit(m.Run())
}
