package exposure

import (
	"os"
	"testing"

	"github.com/zalando/go-keyring"
)

// The engine's tests open real stores; unit tests keep their keys in go-keyring's in-memory mock.
func TestMain(m *testing.M) {
	keyring.MockInit()
	os.Exit(m.Run())
}
