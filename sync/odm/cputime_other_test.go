//go:build !unix

package odm

func cpuNanos() int64 { return 0 }
