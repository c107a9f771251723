package sim

import (
	"strings"
	"testing"
	"time"
)

func TestParseFaults(t *testing.T) {
	cases := []struct {
		spec string
		want Faults
		err  string
	}{
		{spec: "", want: Faults{Seed: 9, RetryAfter: time.Second, SlowP: 1, BurstP: 0.1}},
		{spec: "none", want: Faults{Seed: 9, RetryAfter: time.Second, SlowP: 1, BurstP: 0.1}},
		{spec: "429:0.1,503burst:3,drop:0.05,truncate:0.05,slow:2s,expire:30s,iis401:0.05", want: Faults{
			P429: 0.1, BurstLen: 3, BurstP: 0.1, PDrop: 0.05, PTruncate: 0.05, Slow: 2 * time.Second, SlowP: 1,
			Expire: 30 * time.Second, PIIS401: 0.05, Seed: 9, RetryAfter: time.Second}},
		{spec: "503burst:4@0.5, slow:150ms@0.25, 429ra:0.2@3s, seed:77", want: Faults{
			BurstLen: 4, BurstP: 0.5, Slow: 150 * time.Millisecond, SlowP: 0.25, P429After: 0.2, RetryAfter: 3 * time.Second, Seed: 77}},
		{spec: "429:1.5", err: "not a probability"},
		{spec: "drop:x", err: "not a probability"},
		{spec: "slow:fast", err: "not a duration"},
		{spec: "503burst:0", err: "positive burst length"},
		{spec: "expire:0s", err: "must be positive"},
		{spec: "teleport:0.1", err: `unknown fault "teleport"`},
		{spec: "drop:0.1@2", err: "takes no @ part"},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			f, err := ParseFaults(tc.spec, 9)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f != tc.want {
				t.Fatalf("got %+v\nwant %+v", f, tc.want)
			}
		})
	}
}

// TestFaultSequenceReproducible: the same seed gives the same decisions.
func TestFaultSequenceReproducible(t *testing.T) {
	injector := func(seed int64) *faultInjector {
		f, err := ParseFaults("429:0.2,503burst:2@0.1,drop:0.1,truncate:0.1,iis401:0.1", seed)
		if err != nil {
			t.Fatal(err)
		}
		return newFaultInjector(f)
	}
	a, b, c := injector(5), injector(5), injector(6)
	same, differ := true, false
	kinds := map[string]int{}
	for range 500 {
		va, vb, vc := a.decide(), b.decide(), c.decide()
		same = same && va == vb
		differ = differ || va != vc
		switch {
		case va.drop:
			kinds["drop"]++
		case va.truncate:
			kinds["truncate"]++
		default:
			kinds[va.status]++
		}
	}
	if !same || !differ {
		t.Fatalf("same seed same sequence: %v; other seed differs: %v", same, differ)
	}
	for _, k := range []string{"", "429", "503", "iis401", "drop", "truncate"} {
		if kinds[k] == 0 {
			t.Errorf("no %q decisions in 500", k)
		}
	}
}
