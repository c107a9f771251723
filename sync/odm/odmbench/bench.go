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
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/trialsync/trialsync/sync/odm"
)

//go:embed lxml_bench.py
var lxmlRowsScript string

//go:embed lxml_parse.py
var lxmlParseScript string

// Options say what to measure.
type Options struct {
	Size   int64     // bytes of synthetic export to generate
	Dir    string    // where the export is written (removed afterwards); "" for the system temp dir
	Self   []string  // command that runs Child on a file: e.g. {"/usr/bin/trialsync", "odm", "bench-child"}
	Python string    // Python with lxml; "" skips the lxml side
	Runs   int       // runs of each reader, taken in turns; the report gives their medians (0: 3)
	Log    io.Writer // progress lines
}

// Measurement is one run of one reader.
type Measurement struct {
	Reader     string
	Rows       int64 // -1 when the reader extracts none
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

// RowsPerSec is rows per second (0 for a reader that extracts none).
func (m Measurement) RowsPerSec() float64 { return float64(max(m.Rows, 0)) / m.Seconds }

// Series is the runs of one reader.
type Series struct {
	Reader string
	Runs   []Measurement
}

// Median is the reader's typical run: the median wall-clock and (separately) the median CPU time of
// its runs, and the highest peak RSS any of them reached.
func (s Series) Median() Measurement {
	if len(s.Runs) == 0 {
		return Measurement{Reader: s.Reader}
	}
	m := s.Runs[0]
	wall := make([]float64, len(s.Runs))
	cpu := make([]float64, len(s.Runs))
	start := make([]float64, len(s.Runs))
	for i, r := range s.Runs {
		wall[i], cpu[i], start[i] = r.Seconds, r.CPUSeconds, float64(r.StartRSS)
		m.PeakRSS = max(m.PeakRSS, r.PeakRSS)
	}
	m.Seconds, m.CPUSeconds, m.StartRSS = median(wall), median(cpu), int64(median(start))
	return m
}

// median of xs (the mean of the middle two for an even count); xs is reordered.
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// Report is the outcome of one benchmark.
type Report struct {
	Size      int64
	Rows      int64
	Go        Series
	LxmlRows  *Series // lxml.iterparse + clear() extracting the same rows; nil when skipped
	LxmlParse *Series // lxml.iterparse + clear() and nothing else; nil when skipped
	Started   time.Time
}

// Ratio is how many times faster the Go reader is than the lxml series, by the medians of wall-clock
// and of CPU time (0 when unknown).
func (r Report) Ratio(lxml *Series) (wall, cpu float64) {
	if lxml == nil || len(lxml.Runs) == 0 || len(r.Go.Runs) == 0 {
		return 0, 0
	}
	g, l := r.Go.Median(), lxml.Median()
	wall = g.MBps() / l.MBps()
	if g.CPUSeconds > 0 && l.CPUSeconds > 0 {
		cpu = g.MBpsCPU() / l.MBpsCPU()
	}
	return wall, cpu
}

// Run generates the export and reads it Runs times with each reader, taking turns (Go, lxml building
// rows, lxml parsing only) so that a change in the machine's load falls on all of them, each run in its
// own process on one core; it checks that the readers that extract rows found the same rows.
func Run(ctx context.Context, o Options) (Report, error) {
	runs := o.Runs
	if runs <= 0 {
		runs = 3
	}
	rep := Report{Size: o.Size, Started: time.Now(), Go: Series{Reader: "trialsync odm (Go)"}}
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
	// Read it once so that every reader starts from the page cache.
	if err := warm(path); err != nil {
		return rep, err
	}
	type side struct {
		series *Series
		argv   []string
	}
	sides := []side{{&rep.Go, append(append([]string{}, o.Self...), path)}}
	if o.Python != "" {
		rep.LxmlRows = &Series{Reader: "lxml.iterparse + clear(), building rows"}
		rep.LxmlParse = &Series{Reader: "lxml.iterparse + clear(), parse only"}
		for _, sc := range []struct {
			series *Series
			name   string
			text   string
		}{{rep.LxmlRows, "rows", lxmlRowsScript}, {rep.LxmlParse, "parse", lxmlParseScript}} {
			script := path + "." + sc.name + ".py"
			if err := os.WriteFile(script, []byte(sc.text), 0o600); err != nil {
				return rep, fmt.Errorf("writing the lxml script: %w", err)
			}
			defer os.Remove(script)
			sides = append(sides, side{sc.series, []string{o.Python, script, path}})
		}
	}
	for round := 1; round <= runs; round++ {
		for _, sd := range sides {
			logf(o.Log, "run %d of %d: %s", round, runs, sd.series.Reader)
			m, err := measure(ctx, sd.series.Reader, sd.argv)
			if err != nil {
				return rep, err
			}
			if m.Rows >= 0 && m.Rows != rows {
				return rep, fmt.Errorf("%s found %d rows, the export has %d", sd.series.Reader, m.Rows, rows)
			}
			sd.series.Runs = append(sd.series.Runs, m)
		}
	}
	return rep, nil
}

// Child is the Go side of the benchmark, run in its own process: it reads path as `odm check` does
// (every row, values counted, nothing written) and prints the JSON line measure expects.
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

// Print writes the report as a table of medians, with each run's MB/s, and the ratios.
func Print(w io.Writer, r Report) {
	fmt.Fprintf(w, "synthetic Rave-style export: %s, %d rows (%.0f bytes/row); each reader in its own process on one core,\n",
		human(r.Size), r.Rows, float64(r.Size)/float64(max(r.Rows, 1)))
	fmt.Fprintf(w, "%d runs each, taken in turns; medians\n", len(r.Go.Runs))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "reader\tMB/s\tMB/CPU-s\trows/s\tpeak RSS\tRSS before reading\tMB/s of each run\t")
	for _, s := range []*Series{&r.Go, r.LxmlRows, r.LxmlParse} {
		if s == nil || len(s.Runs) == 0 {
			continue
		}
		m := s.Median()
		rowsPerSec := "-"
		if m.Rows >= 0 {
			rowsPerSec = fmt.Sprintf("%.0f", m.RowsPerSec())
		}
		var each []string
		for _, run := range s.Runs {
			each = append(each, fmt.Sprintf("%.1f", run.MBps()))
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%s\t%s\t%s\t%s\t\n", s.Reader, m.MBps(), m.MBpsCPU(), rowsPerSec,
			rss(m.PeakRSS), rss(m.StartRSS), strings.Join(each, " "))
	}
	tw.Flush()
	for _, c := range []struct {
		lxml *Series
		what string
	}{{r.LxmlRows, "Go / lxml"}, {r.LxmlParse, "Go / lxml parsing only, odm check's counterpart"}} {
		if wall, cpu := r.Ratio(c.lxml); wall > 0 {
			fmt.Fprintf(w, "ratio (%s): %.2fx wall-clock", c.what, wall)
			if cpu > 0 {
				fmt.Fprintf(w, ", %.2fx per CPU-second", cpu)
			}
			fmt.Fprintln(w)
		}
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
