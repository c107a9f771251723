//go:build unix

package checklist

import "syscall"

// cpuNanos is the process's CPU time (user + system) so far, in nanoseconds. On a shared machine it is a
// fairer measure than the wall clock.
func cpuNanos() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
