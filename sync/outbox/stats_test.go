package outbox

import (
	"testing"
	"time"

	"github.com/trialsync/trialsync/store"
)

// TestDeliveriesAreCounted: every message the remote acknowledges is counted in the hour's "sent"
// activity (the dashboard's chart), in the transaction that records it; a refused one is not.
func TestDeliveriesAreCounted(t *testing.T) {
	start := time.Now()
	f := newFixture(t, 1, ok, refused, ok)
	for i, key := range []string{"a", "b", "c"} {
		f.enqueue(key, i)
	}
	rep := f.deliver()
	if rep.Sent != 2 || rep.Dead != 1 {
		t.Fatalf("report %+v, want 2 sent and 1 dead", rep)
	}
	err := f.db.View(t.Context(), func(tx *store.Tx) error {
		n, err := tx.CountSince(store.StatSent, "", "", start)
		if n != int64(rep.Sent) {
			t.Errorf("counted %d sent, the run sent %d", n, rep.Sent)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
