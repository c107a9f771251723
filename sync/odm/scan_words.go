//go:build !(goexperiment.simd && amd64)

package odm

// The byte scans of the default build, a word at a time. (With GOEXPERIMENT=simd on amd64,
// scan_simd_amd64.go takes 32 bytes at a time instead; the default build does not depend on it.)

func plainRun(b []byte, i int) int      { return plainRunWords(b, i) }
func scanText(b []byte, j int) int      { return scanTextWords(b, j) }
func scanAttrValue(b []byte, j int) int { return scanAttrValueWords(b, j) }
