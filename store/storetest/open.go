package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trialsync/trialsync/store"
)

// NewKeyring returns the OS keyring under a service name of its own, so that tests running side by side
// never see each other's entries. In a test binary that called go-keyring's MockInit it is the mock;
// under .ci/with-session it is the private gnome-keyring.
func NewKeyring(tb testing.TB) store.Keyring {
	tb.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return store.NewSystemKeyring("trialsync-test-"+hex.EncodeToString(b), nil)
}

// Open creates a store in a temporary directory of the test and returns it. opts.Keyring may be nil for
// a NewKeyring of its own; a test that reopens the store passes its own keyring.
//
// When the test ends, Open's cleanup closes the store (if the test has not) and checks the file as
// bbolt's own tests check theirs: it opens it again read-only and fails the test unless the audit
// chain verifies end to end and bbolt's consistency check finds nothing. A test that damages its store
// on purpose uses OpenToDamage instead.
func Open(tb testing.TB, opts store.Options) *store.DB {
	tb.Helper()
	return OpenAt(tb, filepath.Join(tb.TempDir(), "trialsync.db"), opts)
}

// OpenAt is Open at a path the test chose, with the same check at cleanup.
func OpenAt(tb testing.TB, path string, opts store.Options) *store.DB {
	tb.Helper()
	if opts.Keyring == nil {
		opts.Keyring = NewKeyring(tb)
	}
	db, err := store.Open(tb.Context(), path, opts)
	if err != nil {
		tb.Fatalf("opening the test store: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("closing the test store: %v", err)
		}
		if p := Check(context.Background(), path, opts.Keyring); p != "" {
			tb.Errorf("the test store %s after the test: %s", path, p)
		}
	})
	return db
}

// OpenToDamage creates a store in a temporary directory of the test for a test that damages it on
// purpose (cuts, edits, replaces or rolls back the file, or deletes keyring entries): it is closed at
// cleanup and never checked, since what Open's check would find is what the test made. It returns the
// store and its keyring, which the test needs to open the damaged file again.
func OpenToDamage(tb testing.TB) (*store.DB, store.Keyring) {
	tb.Helper()
	kr := NewKeyring(tb)
	db, err := store.Open(tb.Context(), filepath.Join(tb.TempDir(), "trialsync.db"), store.Options{Keyring: kr})
	if err != nil {
		tb.Fatalf("opening the test store: %v", err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db, kr
}

// Check opens the closed store at path read-only and returns what is wrong with it: the first audit
// problem and everything bbolt's consistency check found, on one line; "" when nothing is.
func Check(ctx context.Context, path string, kr store.Keyring) string {
	db, err := store.Open(ctx, path, store.Options{Keyring: kr, ReadOnly: true})
	if err != nil {
		return err.Error()
	}
	defer db.Close()
	rep, err := db.Verify(ctx, nil)
	if err != nil {
		return "verify could not run: " + err.Error()
	}
	if rep.OK() {
		return ""
	}
	msg := rep.Problem.Error()
	if rep.DamageCount > 0 {
		msg += "; consistency check: " + strings.Join(rep.Damage, "; ")
	}
	return msg
}
