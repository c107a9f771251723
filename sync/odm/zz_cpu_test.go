package odm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"syscall"
	"testing"
)

func cpuTime() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_THREAD, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func TestZZCPU(t *testing.T) {
	if os.Getenv("ZZCPU") == "" {
		t.Skip()
	}
	runtime.LockOSThread()
	doc := benchDoc()
	r := NewReader(bytes.NewReader(doc))
	var s scanner
	best, bestT := 1e9, 1e9
	for k := 0; k < 8; k++ {
		t0 := cpuTime()
		r.Reset(bytes.NewReader(doc))
		for {
			_, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
		}
		best = min(best, cpuTime()-t0)
		t0 = cpuTime()
		s.reset(bytes.NewReader(doc), defaultWindow)
		for s.next() == nil && s.kind != tokEOF {
		}
		bestT = min(bestT, cpuTime()-t0)
	}
	fmt.Printf("reader %.0f MB/s cpu, tokenizer %.0f MB/s cpu\n", float64(len(doc))/1e6/best, float64(len(doc))/1e6/bestT)
}
