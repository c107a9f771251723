package store_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/store/storetest"
)

// TestVerifyBesideWriters: verifications while another goroutine keeps committing (as the scheduled
// verification runs beside a pull) find the store intact every time: bbolt's consistency check must
// not see pages freed by commits that came after it started as damage.
func TestVerifyBesideWriters(t *testing.T) {
	db := storetest.Open(t, store.Options{})
	ctx := t.Context()
	var stop atomic.Bool
	done := make(chan error, 1)
	go func() {
		var err error
		for i := 0; !stop.Load() && err == nil; i++ {
			err = db.Update(ctx, func(tx *store.Tx) error {
				if i%2 == 0 {
					tx.Bulk() // as the pull's intermediate batches commit
				}
				var rows store.ClinicalBatch
				for j := range 2000 {
					rows.Add(&store.ClinicalKey{Study: "S", Site: "101", Subject: fmt.Sprintf("101-%03d", j%300), Item: fmt.Sprintf("I%d", j/300),
						Event: fmt.Sprint(i % 7)}, &store.ClinicalValue{Value: fmt.Sprint(i)})
				}
				if _, err := tx.Clinical().Write(&rows); err != nil {
					return err
				}
				_, err := tx.Append(store.Entry{Action: "test.write", Object: "S"})
				return err
			})
		}
		done <- err
	}()
	for range 60 {
		rep, err := db.Verify(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || rep.DamageCount > 0 {
			t.Fatalf("verify beside a writer: %v, damage %v", rep.Problem, rep.Damage)
		}
	}
	stop.Store(true)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
