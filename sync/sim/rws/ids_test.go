package rws

import "testing"

// TestIDLayout checks the audit-ID layout against a brute-force walk: IDs strictly increase,
// firstAtOrAfter is the inverse, and existingFrom skips exactly the holes.
func TestIDLayout(t *testing.T) {
	for _, seed := range []int64{1, 7, 42} {
		l := newIDLayout(seed, 0, 5000)
		prev := int64(-1)
		holes := 0
		for k := range l.count {
			id := l.id(k)
			if id <= prev {
				t.Fatalf("seed %d: id(%d) = %d not above %d", seed, k, id, prev)
			}
			if got := l.firstAtOrAfter(id); got != k {
				t.Fatalf("seed %d: firstAtOrAfter(%d) = %d, want %d", seed, id, got, k)
			}
			if got := l.firstAtOrAfter(prev + 1); got != k {
				t.Fatalf("seed %d: firstAtOrAfter(%d) = %d, want %d", seed, prev+1, got, k)
			}
			if id-prev > l.hole && prev > 0 {
				holes++
				mid := prev + 1 + l.wide + l.gap + 10
				if got := l.existingFrom(mid); got != id {
					t.Fatalf("seed %d: existingFrom(%d) inside a hole = %d, want %d", seed, mid, got, id)
				}
			}
			if got := l.existingFrom(id); got != id {
				t.Fatalf("seed %d: existingFrom(%d) = %d", seed, id, got)
			}
			prev = id
		}
		if holes == 0 {
			t.Errorf("seed %d: no holes in 5000 records", seed)
		}
		if l.firstAtOrAfter(prev+1) != l.count {
			t.Errorf("seed %d: past the end is not count", seed)
		}
	}
}
