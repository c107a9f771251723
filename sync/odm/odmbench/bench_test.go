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

// TestRun measures both readers on a small export: same rows, sane figures, the export removed.
func TestRun(t *testing.T) {
	t.Setenv("ODMBENCH_CHILD", "1")
	dir := t.TempDir()
	rep, err := Run(t.Context(), Options{Size: 1 << 20, Dir: dir, Self: []string{os.Args[0]}, Python: "/usr/bin/python3"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows < 2000 || rep.Go.Rows != rep.Rows || rep.Lxml == nil || rep.Lxml.Rows != rep.Rows {
		t.Fatalf("rows: export %d, Go %d, lxml %+v", rep.Rows, rep.Go.Rows, rep.Lxml)
	}
	if rep.Go.MBps() <= 0 || rep.Lxml.MBps() <= 0 || rep.Ratio() <= 0 {
		t.Fatalf("figures %+v %+v", rep.Go, *rep.Lxml)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
	var out strings.Builder
	Print(&out, rep)
	for _, want := range []string{"trialsync odm (Go)", "lxml.iterparse + clear()", "ratio (Go / lxml)"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("report lacks %q:\n%s", want, out.String())
		}
	}
}
