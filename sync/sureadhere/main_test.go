package sureadhere

import (
	"os"
	"testing"

	"github.com/zalando/go-keyring"
)

// Unit tests use go-keyring's in-memory mock for their stores' audit keys; the CLI's tests run the
// subject push against the real Secret Service.
func TestMain(m *testing.M) {
	keyring.MockInit()
	os.Exit(m.Run())
}
