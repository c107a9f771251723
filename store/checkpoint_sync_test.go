package store_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/store/storetest"
)

// keyringCount returns the entry count of the checkpoint copy the keyring holds for db.
func keyringCount(t *testing.T, kr store.Keyring, db *store.DB) uint64 {
	t.Helper()
	v, err := kr.Get("audit." + db.InstallID() + ".checkpoint")
	if err != nil {
		t.Fatalf("keyring checkpoint: %v", err)
	}
	var n uint64
	if _, err := fmt.Sscanf(v, "v1 %d ", &n); err != nil {
		t.Fatalf("keyring checkpoint %q: %v", v, err)
	}
	return n
}

// waitForCount polls the keyring until its checkpoint copy records want entries. The deadline is far
// above the promised second: the test asserts that the copy arrives without a further commit or a
// Close, not how fast.
func waitForCount(t *testing.T, kr store.Keyring, db *store.DB, want uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := keyringCount(t, kr, db)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the keyring's checkpoint copy records %d entries, the store %d, and no flush came", got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCheckpointReachesKeyringAfterTheLastCommit: a burst of commits followed by silence (no further
// commit, no Close, as when the process is killed) still reaches the keyring, by the timer.
func TestCheckpointReachesKeyringAfterTheLastCommit(t *testing.T) {
	kr := storetest.NewKeyring(t)
	db := storetest.Open(t, store.Options{Keyring: kr})
	appendN(t, db, 1)
	waitForCount(t, kr, db, 2)
	appendN(t, db, 20) // a burst, well within one interval of the copy above
	waitForCount(t, kr, db, 22)
}

// flakyKeyring fails every write of a checkpoint copy while failing is set.
type flakyKeyring struct {
	store.Keyring
	mu      sync.Mutex
	failing bool
	failed  int
}

func (k *flakyKeyring) Set(name, v string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.failing && strings.HasSuffix(name, ".checkpoint") {
		k.failed++
		return fmt.Errorf("credential %s: %w: test keyring refuses", name, store.ErrKeyringUnavailable)
	}
	return k.Keyring.Set(name, v)
}

func (k *flakyKeyring) refusals() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.failed
}

func (k *flakyKeyring) set(failing bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.failing = failing
}

// TestCheckpointCopyRetried: a keyring that refuses the copy for a while gets it later without another
// commit; one that keeps refusing makes Close report it (the store itself is already durable).
func TestCheckpointCopyRetried(t *testing.T) {
	kr := &flakyKeyring{Keyring: storetest.NewKeyring(t)}
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := store.Open(t.Context(), path, store.Options{Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	kr.set(true)
	appendN(t, db, 3)
	for deadline := time.Now().Add(10 * time.Second); kr.refusals() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no timed copy was attempted after the commits")
		}
	}
	if keyringCount(t, kr, db) != 1 {
		t.Fatal("the copy got through a refusing keyring")
	}
	kr.set(false)
	waitForCount(t, kr, db, 4) // retried without another commit

	kr.set(true)
	appendN(t, db, 1)
	err = db.Close()
	if !errors.Is(err, store.ErrKeyringUnavailable) || !strings.Contains(err.Error(), "saving the audit checkpoint") {
		t.Fatalf("Close with a refusing keyring: %v", err)
	}
}
