package odmbench

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// procStatus returns a memory figure of /proc/self/status in bytes, or 0 where there is no /proc.
// It is read in the measured process itself: the rusage a parent gets from wait4 can count the
// parent's own memory at the time of the fork, which would flatter neither side.
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			fields := strings.Fields(rest)
			if len(fields) > 0 {
				if kb, err := strconv.ParseInt(fields[0], 10, 64); err == nil {
					return kb << 10
				}
			}
		}
	}
	return 0
}
