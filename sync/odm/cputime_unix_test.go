//go:build unix

package odm

import "syscall"

// cpuNanos is the process's CPU time (user + system) so far, in nanoseconds.
func cpuNanos() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
