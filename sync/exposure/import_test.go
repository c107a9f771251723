package exposure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func TestImportFixture(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "intake", "doses.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := NewDecoder(f, "doses.csv", testRules)
	if err != nil {
		t.Fatal(err)
	}
	q := &fakeQueue{}
	var lines []string
	imported, rejected, err := Import(t.Context(), d, q, "file doses.csv", func(e Entry) {
		lines = append(lines, e.Rejection("doses.csv"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if imported != 6 || rejected != 4 || len(q.recs) != 6 || q.calls != 1 {
		t.Fatalf("imported %d, rejected %d, queued %d in %d calls", imported, rejected, len(q.recs), q.calls)
	}
	wantPrefixes := []string{"doses.csv:5: ", "doses.csv:8: ", "doses.csv:10: ", "doses.csv:13: "}
	for i, p := range wantPrefixes {
		if !strings.HasPrefix(lines[i], p) {
			t.Errorf("rejection %q, want prefix %q", lines[i], p)
		}
	}
	if !reflect.DeepEqual(q.sources, []string{"file doses.csv"}) {
		t.Errorf("sources %v", q.sources)
	}
}

func csvOf(n int, badEvery int) string {
	var b strings.Builder
	b.WriteString(strings.Join(Fields, ",") + "\n")
	for i := range n {
		taken := "1"
		if badEvery > 0 && i%badEvery == 0 {
			taken = "bad"
		}
		fmt.Fprintf(&b, "101-%04d,101,Isoniazid,2024-11-03,08:30,2,%s,Video,Yes\n", i, taken)
	}
	return b.String()
}

func TestImportBatchesAndErrors(t *testing.T) {
	tests := []struct {
		name     string
		input    io.Reader
		queueErr error
		imported int
		rejected int
		calls    int
		errPart  string
	}{
		{"2500 records in three batches", strings.NewReader(csvOf(2500, 0)), nil, 2500, 0, 3, ""},
		{"every tenth rejected", strings.NewReader(csvOf(100, 10)), nil, 90, 10, 1, ""},
		{"file error after valid records: those are queued", io.MultiReader(strings.NewReader(csvOf(10, 0)),
			iotest.ErrReader(errors.New("disk gone"))), nil, 10, 0, 1, "reading: disk gone"},
		{"queue failure", strings.NewReader(csvOf(5, 0)), errors.New("store closed"), 0, 0, 1, "queueing records of src: store closed"},
		{"nothing valid: the queue is not called", strings.NewReader(csvOf(3, 1)), nil, 0, 3, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewDecoder(tt.input, "f.csv", testRules)
			if err != nil {
				t.Fatal(err)
			}
			q := &fakeQueue{err: tt.queueErr}
			imported, rejected, err := Import(t.Context(), d, q, "src", nil)
			if imported != tt.imported || rejected != tt.rejected || q.calls != tt.calls {
				t.Errorf("imported %d rejected %d in %d calls, want %d %d %d", imported, rejected, q.calls, tt.imported, tt.rejected, tt.calls)
			}
			switch {
			case tt.errPart == "" && err != nil:
				t.Fatal(err)
			case tt.errPart != "" && (err == nil || !strings.Contains(err.Error(), tt.errPart)):
				t.Fatalf("error %v, want %q", err, tt.errPart)
			}
		})
	}
}

func TestImportStopsWhenCancelled(t *testing.T) {
	d, err := NewDecoder(strings.NewReader(csvOf(10, 0)), "f.csv", testRules)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	q := &fakeQueue{}
	if _, _, err := Import(ctx, d, q, "src", nil); !errors.Is(err, context.Canceled) || q.calls != 0 {
		t.Fatalf("err %v, %d queue calls", err, q.calls)
	}
}
