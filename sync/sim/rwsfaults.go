package sim

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Faults is a parsed fault-injection spec (see the package documentation for the grammar).
type Faults struct {
	P429       float64       // probability of a 429 without Retry-After
	P429After  float64       // probability of a 429 with Retry-After
	RetryAfter time.Duration // the Retry-After those carry (default 1 s)
	BurstLen   int           // length of a 503 burst
	BurstP     float64       // probability that a request starts a burst
	PDrop      float64       // probability of a connection cut mid-body
	PTruncate  float64       // probability of a body cut short that still ends cleanly
	Slow       time.Duration // delay before the first byte
	SlowP      float64       // probability of the delay (default 1)
	Expire     time.Duration // bearer tokens stop working this long after issue
	PIIS401    float64       // probability of an IIS HTML 401 page
	Seed       int64         // fault randomness seed
}

// ParseFaults parses a spec such as "429:0.1,503burst:3,drop:0.05,truncate:0.05,slow:2s,expire:30s,iis401:0.05"
// ("" or "none" for no faults). defaultSeed seeds the fault sequence unless the spec has "seed:N".
func ParseFaults(spec string, defaultSeed int64) (Faults, error) {
	f := Faults{Seed: defaultSeed, RetryAfter: time.Second, SlowP: 1, BurstP: 0.1}
	spec = strings.TrimSpace(spec)
	if spec != "" && spec != "none" {
		for _, item := range strings.Split(spec, ",") {
			if err := f.set(strings.TrimSpace(item)); err != nil {
				return Faults{}, fmt.Errorf("sim: faults %q: %w", spec, err)
			}
		}
	}
	return f, nil
}

func newFaultInjector(f Faults) *faultInjector {
	return &faultInjector{f: f, rng: rand.New(rand.NewPCG(mix64(uint64(f.Seed)), mix64(uint64(f.Seed)^0x7f4a7c15)))}
}

func (f *Faults) set(item string) error {
	name, arg, _ := strings.Cut(item, ":")
	arg, at, hasAt := strings.Cut(arg, "@")
	prob := func(s string) (float64, error) {
		p, err := strconv.ParseFloat(s, 64)
		if err != nil || p < 0 || p > 1 {
			return 0, fmt.Errorf("%s: %q is not a probability between 0 and 1", name, s)
		}
		return p, nil
	}
	dur := func(s string) (time.Duration, error) {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("%s: %q is not a duration such as 2s or 150ms", name, s)
		}
		return d, nil
	}
	var err error
	switch strings.ToLower(name) {
	case "429":
		f.P429, err = prob(arg)
	case "429ra":
		f.P429After, err = prob(arg)
		if err == nil && hasAt {
			f.RetryAfter, err = dur(at)
			hasAt = false
		}
	case "503burst":
		f.BurstLen, err = strconv.Atoi(arg)
		if err != nil || f.BurstLen < 1 {
			return fmt.Errorf("503burst: %q is not a positive burst length", arg)
		}
		if hasAt {
			f.BurstP, err = prob(at)
			hasAt = false
		}
	case "drop":
		f.PDrop, err = prob(arg)
	case "truncate":
		f.PTruncate, err = prob(arg)
	case "slow":
		f.Slow, err = dur(arg)
		if err == nil && hasAt {
			f.SlowP, err = prob(at)
			hasAt = false
		}
	case "expire":
		f.Expire, err = dur(arg)
		if err == nil && f.Expire == 0 {
			err = fmt.Errorf("expire: duration must be positive")
		}
	case "iis401":
		f.PIIS401, err = prob(arg)
	case "seed":
		f.Seed, err = strconv.ParseInt(arg, 10, 64)
	default:
		return fmt.Errorf("unknown fault %q (known: 429, 429ra, 503burst, drop, truncate, slow, expire, iis401, seed)", name)
	}
	if err != nil {
		return err
	}
	if hasAt {
		return fmt.Errorf("%s takes no @ part", name)
	}
	return nil
}

// faultInjector decides, request by request and from its seeded generator, which fault to inject.
type faultInjector struct {
	f Faults

	mu         sync.Mutex
	rng        *rand.Rand
	burstLeft  int
	afterBurst bool // the previous request ended a burst: bursts are separated by at least one answer
}

type verdict struct {
	slow           bool
	status         string // "", "429", "429ra", "503", "iis401"
	drop, truncate bool
	cutAt          int64
}

func (fi *faultInjector) decide() verdict {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	f, rng := fi.f, fi.rng
	var v verdict
	hit := func(p float64) bool { return p > 0 && rng.Float64() < p }
	v.slow = f.Slow > 0 && hit(f.SlowP)
	afterBurst := fi.afterBurst
	fi.afterBurst = false
	switch {
	case fi.burstLeft > 0:
		fi.burstLeft--
		fi.afterBurst = fi.burstLeft == 0
		v.status = "503"
	case f.BurstLen > 0 && !afterBurst && hit(f.BurstP):
		fi.burstLeft = f.BurstLen - 1
		fi.afterBurst = fi.burstLeft == 0
		v.status = "503"
	case hit(f.P429):
		v.status = "429"
	case hit(f.P429After):
		v.status = "429ra"
	case hit(f.PIIS401):
		v.status = "iis401"
	case hit(f.PDrop):
		v.drop = true
	case hit(f.PTruncate):
		v.truncate = true
	}
	v.cutAt = 200 + rng.Int64N(64<<10)
	return v
}

// begin applies the faults that replace an answer (429, 503, IIS 401) and the slow first byte; when
// the request goes on, it returns the writer that applies the body faults (drop, truncate) and gzip.
func (fi *faultInjector) begin(s *RWS, w http.ResponseWriter, r *http.Request) (*answer, bool) {
	v := fi.decide()
	if v.slow {
		s.count("slow")
		t := time.NewTimer(fi.f.Slow)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return nil, false
		}
	}
	switch v.status {
	case "429":
		s.count("429")
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte("<html><head><title>429 Too Many Requests</title></head><body><h1>Too Many Requests</h1></body></html>"))
		return nil, false
	case "429ra":
		s.count("429")
		w.Header().Set("Retry-After", strconv.Itoa(int(fi.f.RetryAfter/time.Second)))
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte("<html><head><title>429 Too Many Requests</title></head><body><h1>Too Many Requests</h1></body></html>"))
		return nil, false
	case "503":
		s.count("503")
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("HTTP 503 Service Temporarily Unavailable"))
		return nil, false
	case "iis401":
		s.count("iis401")
		iisError(w, http.StatusUnauthorized)
		return nil, false
	}
	a := newAnswer(s, w, r)
	if v.drop || v.truncate {
		a.drop, a.truncate, a.cutAt = v.drop, v.truncate, v.cutAt
	}
	return a, true
}
