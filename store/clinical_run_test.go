package store

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// TestClinicalRunOrder: a run of several batches, some sorted by their parser and some not, holds the
// rows in key order with equal keys in arrival order (batch after batch, row after row), and credits
// each row to its batch, exactly as one stable sort of all the rows would.
func TestClinicalRunOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		type row struct {
			key        string
			batch, seq int
		}
		var want []row
		var bs []*ClinicalBatch
		for bi := range rapid.IntRange(1, 6).Draw(t, "batches") {
			b := &ClinicalBatch{}
			for range rapid.IntRange(0, 40).Draw(t, "rows") {
				// Few distinct subjects and items, so that keys repeat within and across batches.
				k := ClinicalKey{Study: "S", Subject: fmt.Sprint(rapid.IntRange(0, 5).Draw(t, "subject")), Item: fmt.Sprint(rapid.IntRange(0, 3).Draw(t, "item"))}
				want = append(want, row{string(k.AppendKey(nil)), bi, len(want)})
				b.Add(&k, &ClinicalValue{Value: fmt.Sprint(len(want) - 1)})
			}
			if rapid.Bool().Draw(t, "sorted by its parser") {
				b.Sort()
			}
			bs = append(bs, b)
		}
		slices.SortStableFunc(want, func(x, y row) int { return bytes.Compare([]byte(x.key), []byte(y.key)) })
		r := NewClinicalRun(bs)
		if len(r.recs) != len(want) {
			t.Fatalf("%d rows in the run, %d added", len(r.recs), len(want))
		}
		for i, w := range want {
			v, err := decodeClinicalValue(r.recs[i].val)
			if err != nil || string(r.recs[i].key) != w.key || v.Value != fmt.Sprint(w.seq) || r.batchOf(i) != w.batch {
				t.Fatalf("row %d: key %q value %q batch %d, want key %q value %d batch %d", i, r.recs[i].key, v.Value, r.batchOf(i), w.key, w.seq, w.batch)
			}
		}
		for _, b := range bs {
			if b.Len() != 0 {
				t.Fatal("a batch still holds rows the run took")
			}
		}
	})
}
