package odmbench

import (
	"os"
	"strings"
	"testing"
)

// TestMain lets the test binary stand in for trialsync as the benchmark's child process.
func TestMain(m *testing.M) {
	if os.Getenv("ODMBENCH_CHILD") == "1" {
		if err := Child(os.Args[len(os.Args)-1], os.Stdout); err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestParseSize(t *testing.T) {
	tests := map[string]int64{"512MiB": 512 << 20, "2GiB": 2 << 30, "100MB": 100e6, "64KiB": 64 << 10,
		"65536": 65536, "3 GB": 3e9, "7B": 7}
	for in, want := range tests {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "lots", "-5MiB", "0", "1.5GiB", "12XB", "MiB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}

// TestRun measures the three readers on a small export, three runs each: the same rows, sane figures,
// both ratios printed, the export and scripts removed.
func TestRun(t *testing.T) {
	t.Setenv("ODMBENCH_CHILD", "1")
	dir := t.TempDir()
	rep, err := Run(t.Context(), Options{Size: 1 << 20, Dir: dir, Self: []string{os.Args[0]}, Python: "/usr/bin/python3"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows < 2000 || rep.LxmlRows == nil || rep.LxmlParse == nil {
		t.Fatalf("rows %d, lxml %v %v", rep.Rows, rep.LxmlRows, rep.LxmlParse)
	}
	for _, s := range []*Series{&rep.Go, rep.LxmlRows, rep.LxmlParse} {
		if len(s.Runs) != 3 {
			t.Fatalf("%s: %d runs", s.Reader, len(s.Runs))
		}
		for _, m := range s.Runs {
			wantRows := rep.Rows
			if s == rep.LxmlParse {
				wantRows = -1
			}
			if m.Rows != wantRows || m.Bytes < 1<<20 || m.MBps() <= 0 {
				t.Fatalf("%s: run %+v", s.Reader, m)
			}
		}
	}
	for _, lx := range []*Series{rep.LxmlRows, rep.LxmlParse} {
		if wall, _ := rep.Ratio(lx); wall <= 0 {
			t.Fatalf("ratio to %s: %v", lx.Reader, wall)
		}
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
	var out strings.Builder
	Print(&out, rep)
	for _, want := range []string{"trialsync odm (Go)", "lxml.iterparse + clear(), building rows",
		"lxml.iterparse + clear(), parse only", "3 runs each", "ratio (Go / lxml): ",
		"ratio (Go / lxml parsing only, odm check's counterpart): "} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestMedian: the median run by wall clock and by CPU time separately, the highest peak RSS.
func TestMedian(t *testing.T) {
	s := Series{Reader: "r", Runs: []Measurement{
		{Bytes: 100e6, Seconds: 3, CPUSeconds: 1, PeakRSS: 10, StartRSS: 5},
		{Bytes: 100e6, Seconds: 1, CPUSeconds: 2, PeakRSS: 30, StartRSS: 7},
		{Bytes: 100e6, Seconds: 2, CPUSeconds: 9, PeakRSS: 20, StartRSS: 6},
	}}
	m := s.Median()
	if m.Seconds != 2 || m.CPUSeconds != 2 || m.PeakRSS != 30 || m.StartRSS != 6 || m.MBps() != 50 {
		t.Fatalf("median %+v", m)
	}
	s.Runs = s.Runs[:2]
	if m := s.Median(); m.Seconds != 2 || m.CPUSeconds != 1.5 {
		t.Fatalf("median of two %+v", m)
	}
	if s.Runs[0].Seconds != 3 {
		t.Fatal("Median reordered the runs")
	}
}
