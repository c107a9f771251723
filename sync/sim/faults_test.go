package sim

import (
	"strings"
	"testing"
	"time"
)

func TestParseFaults(t *testing.T) {
	def := Faults{Seed: 9, RetryAfter: time.Second, SlowP: 1, BurstP: 0.1, StormAt: 1, TrickleP: 1, RedirectP: 1}
	with := func(set func(*Faults)) Faults { f := def; set(&f); return f }
	cases := []struct {
		spec string
		want Faults
		err  string
	}{
		{spec: "", want: def},
		{spec: "none", want: def},
		{spec: "429:0.1,503burst:3,drop:0.05,truncate:0.05,slow:2s,expire:30s,iis401:0.05", want: with(func(f *Faults) {
			f.P429, f.BurstLen, f.PDrop, f.PTruncate, f.Slow, f.Expire, f.PIIS401 = 0.1, 3, 0.05, 0.05, 2*time.Second, 30*time.Second, 0.05
		})},
		{spec: "503burst:4@0.5, slow:150ms@0.25, 429ra:0.2@3s, seed:77", want: with(func(f *Faults) {
			f.BurstLen, f.BurstP, f.Slow, f.SlowP, f.P429After, f.RetryAfter, f.Seed = 4, 0.5, 150*time.Millisecond, 0.25, 0.2, 3*time.Second, 77
		})},
		{spec: "STALL:0.1,trickle:5ms,endless:0.2,close:0.3,bomb:1", want: with(func(f *Faults) {
			f.PStall, f.Trickle, f.PEndless, f.PClose, f.PBomb = 0.1, 5*time.Millisecond, 0.2, 0.3, 1
		})},
		{spec: "trickle:1s@0.5,429storm:20@40", want: with(func(f *Faults) {
			f.Trickle, f.TrickleP, f.StormLen, f.StormAt = time.Second, 0.5, 20, 40
		})},
		{spec: "429storm:5", want: with(func(f *Faults) { f.StormLen = 5 })},
		{spec: "redirect:http://127.0.0.1:9/elsewhere?a=1", want: with(func(f *Faults) { f.Redirect = "http://127.0.0.1:9/elsewhere?a=1" })},
		{spec: "redirect:https://user@example.org/x@0.25", want: with(func(f *Faults) {
			f.Redirect, f.RedirectP = "https://user@example.org/x", 0.25
		})},
		{spec: "redirect:http://user@127.0.0.1/", want: with(func(f *Faults) { f.Redirect = "http://user@127.0.0.1/" })},
		{spec: "redirect:/relative", err: "not an absolute http(s) URL"},
		{spec: "redirect:ftp://127.0.0.1/x", err: "not an absolute http(s) URL"},
		{spec: "redirect:http://127.0.0.1/@2", err: "not a probability"},
		{spec: "trickle:0s", err: "must be positive"},
		{spec: "trickle:fast", err: "not a duration"},
		{spec: "429storm:0", err: "positive storm length"},
		{spec: "429storm:3@0", err: "positive request number"},
		{spec: "stall:2", err: "not a probability"},
		{spec: "bomb:0.5@1", err: "takes no @ part"},
		{spec: "seed:x", err: "not a whole number"},
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
	injector := func(seed int64) *Injector {
		f, err := ParseFaults("429:0.2,503burst:2@0.1,drop:0.1,truncate:0.1,iis401:0.1", seed)
		if err != nil {
			t.Fatal(err)
		}
		return NewInjector(InjectorOptions{Faults: f})
	}
	a, b, c := injector(5), injector(5), injector(6)
	same, differ := true, false
	kinds := map[string]int{}
	for range 500 {
		va, vb, vc := a.decide(AllFaults), b.decide(AllFaults), c.decide(AllFaults)
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
