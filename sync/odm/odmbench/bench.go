package odmbench

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/trialsync/trialsync/sync/odm"
)

//go:embed lxml_bench.py
var lxmlScript string

// Options say what to measure.
type Options struct {
	Size   int64     // bytes of synthetic export to generate
	Dir    string    // where the export is written (removed afterwards); "" for the system temp dir
	Self   []string  // command that runs Child on a file: e.g. {"/usr/bin/trialsync", "odm", "bench-child"}
	Python string    // Python with lxml; "" skips the lxml side
	Log    io.Writer // progress lines
}

// Measurement is one reader's figures.
type Measurement struct {
	Reader     string
	Rows       int64
	Bytes      int64
	Seconds    float64 // wall-clock time of the read
	CPUSeconds float64 // CPU time (user + system) of the read; 0 if unknown
	PeakRSS    int64   // bytes; 0 when the platform does not report it
	StartRSS   int64   // resident bytes before reading began (the binary and runtime), 0 if unknown
}

// MBps is megabytes (10^6) per second.
func (m Measurement) MBps() float64 { return float64(m.Bytes) / 1e6 / m.Seconds }

// MBpsCPU is megabytes per CPU-second: the same figure as MBps on an idle machine, and the fairer one
// on a busy one, where the wall clock also counts time spent waiting for a core.
func (m Measurement) MBpsCPU() float64 {
	if m.CPUSeconds <= 0 {
		return 0
	}
	return float64(m.Bytes) / 1e6 / m.CPUSeconds
}

// RowsPerSec is rows per second.
func (m Measurement) RowsPerSec() float64 { return float64(m.Rows) / m.Seconds }

// Report is the outcome of one run.
type Report struct {
	Size    int64
	Rows    int64
	Go      Measurement
	Lxml    *Measurement // nil when skipped
	Started time.Time
}

// Ratio is how many times faster the Go reader is than lxml (0 without lxml).
func (r Report) Ratio() float64 {
	if r.Lxml == nil {
		return 0
	}
	return r.Go.MBps() / r.Lxml.MBps()
}

// Run generates the export, runs the Go reader and lxml on it, one after the other, each in its own
// process on one core, and checks that they found the same rows.
func Run(ctx context.Context, o Options) (Report, error) {
	rep := Report{Size: o.Size, Started: time.Now()}
	f, err := os.CreateTemp(o.Dir, "trialsync-odm-bench-*.xml")
	if err != nil {
		return rep, fmt.Errorf("creating the synthetic export: %w", err)
	}
	path := f.Name()
	defer os.Remove(path)
	logf(o.Log, "generating %s of synthetic Rave-style ODM in %s", human(o.Size), path)
	rows, err := odm.WriteSynthetic(f, o.Size, 1)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return rep, fmt.Errorf("writing the synthetic export: %w", err)
	}
	rep.Rows = rows
	// Read it once so that both readers start from the page cache.
	if err := warm(path); err != nil {
		return rep, err
	}
	logf(o.Log, "Go reader (GOMAXPROCS=1)")
	rep.Go, err = measure(ctx, "trialsync odm (Go)", append(append([]string{}, o.Self...), path))
	if err != nil {
		return rep, err
	}
	if rep.Go.Rows != rows {
		return rep, fmt.Errorf("the Go reader found %d rows, the export has %d", rep.Go.Rows, rows)
	}
	if o.Python != "" {
		script := filepath.Join(filepath.Dir(path), filepath.Base(path)+".py")
		if err := os.WriteFile(script, []byte(lxmlScript), 0o600); err != nil {
			return rep, fmt.Errorf("writing the lxml script: %w", err)
		}
		defer os.Remove(script)
		logf(o.Log, "lxml.iterparse + clear() (%s)", o.Python)
		m, err := measure(ctx, "lxml.iterparse + clear()", []string{o.Python, script, path})
		if err != nil {
			return rep, err
		}
		if m.Rows != rows {
			return rep, fmt.Errorf("lxml found %d rows, the export has %d", m.Rows, rows)
		}
		rep.Lxml = &m
	}
	return rep, nil
}

// Child is the Go side of the benchmark, run in its own process: it reads path with row extraction
// and prints the JSON line measure expects.
func Child(path string, out io.Writer) error {
	runtime.GOMAXPROCS(1)
	startRSS := procStatus("VmRSS")
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	start, cpu0 := time.Now(), cpuSeconds()
	r := odm.NewReader(f)
	var rows int64
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if row.Kind == odm.KindItem {
			rows++
		}
	}
	sec := time.Since(start).Seconds()
	return json.NewEncoder(out).Encode(map[string]any{"rows": rows, "bytes": st.Size(), "seconds": sec,
		"cpu_seconds": cpuSeconds() - cpu0, "peak_rss": procStatus("VmHWM"), "start_rss": startRSS})
}

func measure(ctx context.Context, name string, argv []string) (Measurement, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return Measurement{}, fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	var res struct {
		Rows     int64   `json:"rows"`
		Bytes    int64   `json:"bytes"`
		Seconds  float64 `json:"seconds"`
		CPU      float64 `json:"cpu_seconds"`
		PeakRSS  int64   `json:"peak_rss"`  // the child's own high-water mark (Linux /proc)
		StartRSS int64   `json:"start_rss"` // its resident memory before reading began
	}
	if err := json.Unmarshal(out, &res); err != nil || res.Seconds <= 0 {
		return Measurement{}, fmt.Errorf("%s: unreadable result %q: %v", name, out, err)
	}
	m := Measurement{Reader: name, Rows: res.Rows, Bytes: res.Bytes, Seconds: res.Seconds, CPUSeconds: res.CPU,
		PeakRSS: res.PeakRSS, StartRSS: res.StartRSS}
	if m.PeakRSS == 0 {
		// No /proc: the rusage figure, which on some systems also counts the parent's memory at fork.
		m.PeakRSS = peakRSS(cmd.ProcessState)
	}
	return m, nil
}

func warm(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(io.Discard, f)
	return err
}

// Print writes the report as a table.
func Print(w io.Writer, r Report) {
	fmt.Fprintf(w, "synthetic Rave-style export: %s, %d rows (%.0f bytes/row), one core each\n",
		human(r.Size), r.Rows, float64(r.Size)/float64(max(r.Rows, 1)))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "reader\tMB/s\tMB/CPU-s\trows/s\tpeak RSS\tRSS before reading\t")
	for _, m := range []*Measurement{&r.Go, r.Lxml} {
		if m == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.0f\t%s\t%s\t\n", m.Reader, m.MBps(), m.MBpsCPU(), m.RowsPerSec(),
			rss(m.PeakRSS), rss(m.StartRSS))
	}
	tw.Flush()
	if r.Lxml != nil {
		fmt.Fprintf(w, "ratio (Go / lxml): %.1fx", r.Ratio())
		if r.Go.CPUSeconds > 0 && r.Lxml.CPUSeconds > 0 {
			fmt.Fprintf(w, " wall-clock, %.1fx per CPU-second", r.Go.MBpsCPU()/r.Lxml.MBpsCPU())
		}
		fmt.Fprintln(w)
	}
}

func rss(n int64) string {
	if n == 0 {
		return "n/a"
	}
	return human(n)
}

func human(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

// ParseSize reads sizes like 512MiB, 2GiB, 100MB, 65536.
func ParseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mul    int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mul := int64(1)
	num := strings.TrimSpace(s)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, mul = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mul
			break
		}
	}
	var n int64
	if _, err := fmt.Sscanf(num, "%d", &n); err != nil || n <= 0 || fmt.Sprint(n) != num {
		return 0, fmt.Errorf("size %q: want a positive number with an optional unit (KiB, MiB, GiB, KB, MB, GB)", s)
	}
	return n * mul, nil
}
