package store

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// BenchmarkClinicalInterleaved writes an audit-records feed as Rave sends it: records go round-robin
// over 300 or 3,000 subjects (each subject's next item in turn), in groups of 50,000 rows. It
// reports rows per second of CPU time and the bytes the process wrote per row, for the first and the
// last fifth of the load (flat as the store grows, or not).
func BenchmarkClinicalInterleaved(b *testing.B) {
	for _, c := range []struct{ subjects, perSubject int }{{300, 1667}, {3000, 1667}} {
		b.Run(fmt.Sprintf("subjects=%d/records=%d", c.subjects, c.subjects*c.perSubject), func(b *testing.B) {
			for b.Loop() {
				interleavedLoad(b, c.subjects, c.perSubject, 50_000)
			}
		})
	}
}

// BenchmarkClinicalStaged writes the same feeds as BenchmarkClinicalInterleaved the way a pull does
// now: each group staged (appended as one run), then every run merged into the clinical bucket in one
// sweep of bounded transactions. It reports rows per second of CPU time and the bytes written per row
// for each phase, and the file's size per row.
func BenchmarkClinicalStaged(b *testing.B) {
	for _, c := range []struct{ subjects, perSubject int }{{300, 1667}, {3000, 1667}} {
		b.Run(fmt.Sprintf("subjects=%d/records=%d", c.subjects, c.subjects*c.perSubject), func(b *testing.B) {
			for b.Loop() {
				stagedLoad(b, c.subjects, c.perSubject, 50_000)
			}
		})
	}
}

func stagedLoad(b *testing.B, subjects, perSubject, group int) {
	db, _ := mustOpen(b)
	total := subjects * perSubject
	var stageCPU, stageIO int64
	for k := 0; k < total; k += group {
		batch := interleavedGroup(subjects, k, min(k+group, total))
		cpu0, io0 := cpuNanos(), writtenBytes()
		run := NewClinicalRun([]*ClinicalBatch{&batch})
		err := db.Update(context.Background(), func(tx *Tx) error { _, err := tx.StageClinical("ALPHA(Prod)", run); return err })
		if err != nil {
			b.Fatal(err)
		}
		if err := db.TrimResident(); err != nil {
			b.Fatal(err)
		}
		stageCPU, stageIO = stageCPU+cpuNanos()-cpu0, stageIO+writtenBytes()-io0
	}
	cpu0, io0 := cpuNanos(), writtenBytes()
	m := NewClinicalMerge("ALPHA(Prod)")
	for !m.Done() { // as the pull engine merges: bounded transactions, mapped pages dropped after each
		if err := db.Update(context.Background(), func(tx *Tx) error { return tx.MergeStaged(m, 512, 8<<20) }); err != nil {
			b.Fatal(err)
		}
		if err := db.TrimResident(); err != nil {
			b.Fatal(err)
		}
	}
	mergeCPU, mergeIO := cpuNanos()-cpu0, writtenBytes()-io0
	n := float64(total)
	b.ReportMetric(n/(float64(stageCPU)/1e9), "rows/cpu-s(stage)")
	b.ReportMetric(n/(float64(mergeCPU)/1e9), "rows/cpu-s(merge)")
	b.ReportMetric(n/(float64(stageCPU+mergeCPU)/1e9), "rows/cpu-s")
	b.ReportMetric(float64(stageIO)/n, "B-written/row(stage)")
	b.ReportMetric(float64(mergeIO)/n, "B-written/row(merge)")
	if fi, err := os.Stat(db.Path()); err == nil {
		b.ReportMetric(float64(fi.Size())/n, "file-B/row")
	}
}

// interleavedGroup is rows from to to of the feed: records round-robin over the subjects (each
// subject's next item in turn).
func interleavedGroup(subjects, from, to int) ClinicalBatch {
	names := make([]string, subjects)
	for i := range names {
		names[i] = fmt.Sprintf("%d-%03d", 101+i/1000, i%1000+1)
	}
	var batch ClinicalBatch
	for r := from; r < to; r++ {
		s, e := r%subjects, r/subjects
		key := ClinicalKey{Study: "ALPHA(Prod)", Site: names[s][:3], Subject: names[s], Event: "VISIT", EventRepeat: strconv.Itoa(e / 4),
			Form: "VS", FormRepeat: "1", ItemGroup: "VS", Item: [4]string{"VS.SYSBP", "VS.DIABP", "VS.PULSE", "VS.TEMP"}[e%4]}
		batch.Add(&key, &ClinicalValue{Value: strconv.Itoa(60 + r%90), AuditID: strconv.Itoa(7000 + r), User: "crc.nakamura",
			Time: "2024-03-01T08:00:42", Source: "audit", RunID: "20261130T013820Z-abcdef"})
	}
	return batch
}

func interleavedLoad(b *testing.B, subjects, perSubject, group int) {
	db, _ := mustOpen(b)
	total := subjects * perSubject
	var cpu0, io0 int64
	var firstCPU, firstIO, lastCPU, lastIO float64
	fifth := total / 5 / group * group // whole groups
	lastFrom := (total-1)/group*group - fifth + group
	for k := 0; k < total; k += group {
		batch := interleavedGroup(subjects, k, min(k+group, total))
		if k == 0 || k == lastFrom {
			cpu0, io0 = cpuNanos(), writtenBytes()
		}
		run := NewClinicalRun([]*ClinicalBatch{&batch})
		for !run.Done() { // as the pull engine writes a group: at most 512 modified pages per transaction
			if err := db.Update(context.Background(), func(tx *Tx) error { return tx.Clinical().WriteRun(run, 512) }); err != nil {
				b.Fatal(err)
			}
		}
		if err := db.TrimResident(); err != nil {
			b.Fatal(err)
		}
		if k+group == fifth {
			firstCPU, firstIO = float64(cpuNanos()-cpu0), float64(writtenBytes()-io0)
		}
	}
	lastCPU, lastIO = float64(cpuNanos()-cpu0), float64(writtenBytes()-io0)
	n, nLast := float64(fifth), float64(total-lastFrom)
	b.ReportMetric(n/(firstCPU/1e9), "rows/cpu-s(first)")
	b.ReportMetric(nLast/(lastCPU/1e9), "rows/cpu-s(last)")
	b.ReportMetric(firstIO/n, "B-written/row(first)")
	b.ReportMetric(lastIO/nLast, "B-written/row(last)")
	if fi, err := os.Stat(db.Path()); err == nil {
		b.ReportMetric(float64(fi.Size())/float64(total), "file-B/row")
	}
}

func cpuNanos() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// writtenBytes is what this process has caused to be written to storage (Linux /proc/self/io), 0 elsewhere.
func writtenBytes() int64 {
	raw, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}
