//go:build !unix

package odmbench

import "os"

// peakRSS is not reported on this platform.
func peakRSS(*os.ProcessState) int64 { return 0 }

// cpuSeconds is not reported on this platform.
func cpuSeconds() float64 { return 0 }
