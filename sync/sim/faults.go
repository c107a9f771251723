package sim

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Faults is a parsed fault-injection spec, the `--faults SPEC` of every simulator (see the package
// documentation for the grammar). Probabilities are per request, among the requests whose route
// admits that fault.
type Faults struct {
	P429       float64       // 429:P — a 429 without Retry-After
	P429After  float64       // 429ra:P[@D] — a 429 with Retry-After
	RetryAfter time.Duration // the Retry-After of 429ra and 429storm answers (default 1 s)
	StormLen   int           // 429storm:N[@K] — one run of N consecutive 429s…
	StormAt    int64         // …starting at the K-th request that admits it (default 1)
	BurstLen   int           // 503burst:N[@P] — length of a 503 burst
	BurstP     float64       // probability that a request starts a burst (default 0.1)
	PDrop      float64       // drop:P — the connection is cut mid-body
	PTruncate  float64       // truncate:P — the body stops early, the HTTP answer ends cleanly
	Slow       time.Duration // slow:D[@P] — delay before the first byte…
	SlowP      float64       // …with this probability (default 1)
	Expire     time.Duration // expire:D — bearer tokens stop working D after issue
	PIIS401    float64       // iis401:P — the front end's HTML 401 page instead of the answer
	PStall     float64       // stall:P — headers sent, then the body never progresses
	Trickle    time.Duration // trickle:D[@P] — the body dribbles one byte every D…
	TrickleP   float64       // …with this probability (default 1)
	PEndless   float64       // endless:P — a body that never ends
	Redirect   string        // redirect:URL[@P] — a 302 to URL instead of the answer…
	RedirectP  float64       // …with this probability (default 1)
	PClose     float64       // close:P — the connection is reset without an answer
	PBomb      float64       // bomb:P — a small gzip body that inflates to hundreds of MiB
	Seed       int64         // seed:N — the fault sequence's seed
}

// faultNames lists the grammar's fault names, for the error that names an unknown one.
const faultNames = "429, 429ra, 429storm, 503burst, drop, truncate, slow, expire, iis401, stall, trickle, endless, redirect, close, bomb, seed"

// ParseFaults parses a spec such as "429:0.1,503burst:3,drop:0.05,truncate:0.05,slow:2s,expire:30s,iis401:0.05"
// ("" or "none" for no faults). defaultSeed seeds the fault sequence unless the spec has "seed:N".
func ParseFaults(spec string, defaultSeed int64) (Faults, error) {
	f := Faults{Seed: defaultSeed, RetryAfter: time.Second, SlowP: 1, BurstP: 0.1, StormAt: 1, TrickleP: 1, RedirectP: 1}
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

func (f *Faults) set(item string) error {
	name, arg, _ := strings.Cut(item, ":")
	name = strings.ToLower(name)
	var at string
	var hasAt bool
	if name == "redirect" {
		// A URL may hold '@' itself (user info): only a last '@' followed by a number is the probability.
		if i := strings.LastIndexByte(arg, '@'); i >= 0 {
			if _, err := strconv.ParseFloat(arg[i+1:], 64); err == nil {
				arg, at, hasAt = arg[:i], arg[i+1:], true
			}
		}
	} else {
		arg, at, hasAt = strings.Cut(arg, "@")
	}
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
	count := func(s, what string) (int, error) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("%s: %q is not a positive %s", name, s, what)
		}
		return n, nil
	}
	var err error
	switch name {
	case "429":
		f.P429, err = prob(arg)
	case "429ra":
		f.P429After, err = prob(arg)
		if err == nil && hasAt {
			f.RetryAfter, err = dur(at)
			hasAt = false
		}
	case "429storm":
		f.StormLen, err = count(arg, "storm length")
		if err == nil && hasAt {
			var k int
			k, err = count(at, "request number")
			f.StormAt, hasAt = int64(k), false
		}
	case "503burst":
		f.BurstLen, err = count(arg, "burst length")
		if err == nil && hasAt {
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
	case "stall":
		f.PStall, err = prob(arg)
	case "trickle":
		f.Trickle, err = dur(arg)
		if err == nil && f.Trickle == 0 {
			err = fmt.Errorf("trickle: duration must be positive")
		}
		if err == nil && hasAt {
			f.TrickleP, err = prob(at)
			hasAt = false
		}
	case "endless":
		f.PEndless, err = prob(arg)
	case "redirect":
		u, perr := url.Parse(arg)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("redirect: %q is not an absolute http(s) URL", arg)
		}
		f.Redirect = arg
		if hasAt {
			f.RedirectP, err = prob(at)
			hasAt = false
		}
	case "close":
		f.PClose, err = prob(arg)
	case "bomb":
		f.PBomb, err = prob(arg)
	case "seed":
		f.Seed, err = strconv.ParseInt(arg, 10, 64)
		if err != nil {
			err = fmt.Errorf("seed: %q is not a whole number", arg)
		}
	default:
		return fmt.Errorf("unknown fault %q (known: %s)", name, faultNames)
	}
	if err != nil {
		return err
	}
	if hasAt {
		return fmt.Errorf("%s takes no @ part", name)
	}
	return nil
}

// FaultSet is a set of fault kinds: a route admits those in its set, and only those are drawn for
// its requests.
type FaultSet uint32

// The fault kinds. Expire is not among them: it acts where tokens are issued (Tokens), not on a route.
const (
	Fault429      FaultSet = 1 << iota // 429, 429ra, 429storm
	Fault503                           // 503burst
	FaultIIS401                        // iis401
	FaultDrop                          // drop
	FaultTruncate                      // truncate
	FaultSlow                          // slow
	FaultStall                         // stall
	FaultTrickle                       // trickle
	FaultEndless                       // endless (only where the route describes its endless body)
	FaultRedirect                      // redirect
	FaultClose                         // close
	FaultBomb                          // bomb (only where the route describes its bomb)

	// AllFaults admits every kind; a route without an Endless or Bomb description still never gets those.
	AllFaults FaultSet = 1<<iota - 1
)
