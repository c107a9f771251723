package sim

// Pick is a seeded, deterministic choice in [0, n) for (what, a, b): the same arguments give the same
// choice on every run and every machine. The simulators draw their studies with it (values, names,
// editors, times), so a study is a pure function of its seed, and any record of it can be made on
// demand without holding the rest; it is cheap enough to call for every generated record.
func Pick(seed int64, what string, a, b int64, n int) int {
	h := uint64(seed) ^ 0x9E3779B97F4A7C15
	for i := 0; i < len(what); i++ {
		h = (h ^ uint64(what[i])) * 0x100000001B3
	}
	h = mix64(h ^ mix64(uint64(a)) ^ mix64(uint64(b)+0x632BE59BD9B4E5))
	return int(h % uint64(n))
}

// mix64 is SplitMix64's finaliser: it spreads a seed's bits before they choose or seed a generator.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	return x ^ x>>31
}
