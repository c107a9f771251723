package odm

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

var testHeader = Header{FileOID: "trialsync-test-1", Created: time.Date(2024, 11, 3, 9, 12, 44, 0, time.UTC),
	Originator: "trialsync", SourceSystem: "trialsync", SourceSystemVersion: "test"}

// writeSubject writes one exposure log line the way the exposure engine does.
func writeSubject(t testing.TB, w *Writer, key, site string, values map[string]string) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.StartSubject(Subject{Key: key, Site: site, TransactionType: "Update"}))
	must(w.StartEvent(Container{OID: "SM", RepeatKey: "1", TransactionType: "Update"}))
	must(w.StartForm(Container{OID: "EX_INH", RepeatKey: "1", TransactionType: "Upsert"}))
	must(w.StartItemGroup(Container{OID: "EX_LOG_LINE", RepeatKey: ContextRepeatKey, TransactionType: "Upsert"}))
	must(w.Item(Item{OID: "EX.STDAT", Value: "2024-11-03", TransactionType: "Context"}))
	for _, k := range []string{"EX.TAKEN", "EX.NOTE", "EX.EMPTY"} {
		if v, ok := values[k]; ok {
			must(w.Item(Item{OID: k, Value: v, TransactionType: "Upsert"}))
		}
	}
	must(w.Item(Item{OID: "EX.MODE", IsNull: true, TransactionType: "Upsert"}))
	for i := 0; i < 4; i++ {
		must(w.End())
	}
}

func TestWriterRoundTrip(t *testing.T) {
	hostile := "tab\there, newline\nthere, cr\r\nand \"quotes\" 'apos' <tag> & amp; ]]> — 日本語 😀  "
	var buf bytes.Buffer
	w := NewWriter(&buf, testHeader)
	if err := w.StartClinicalData("ALPHA(Prod)", "12"); err != nil {
		t.Fatal(err)
	}
	writeSubject(t, w, "101-001", "101", map[string]string{"EX.TAKEN": "3", "EX.NOTE": hostile, "EX.EMPTY": ""})
	writeSubject(t, w, "101-002", "101", map[string]string{"EX.TAKEN": "0"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Written() != int64(buf.Len()) {
		t.Fatalf("Written() = %d, document is %d bytes", w.Written(), buf.Len())
	}
	res := readAll(t, buf.Bytes())
	if res.err != nil || len(res.blocks) > 0 {
		t.Fatalf("reading back: %v %v\n%s", res.err, res.blocks, buf.String())
	}
	var items []string
	for _, r := range res.rows {
		if r.Kind == KindItem {
			items = append(items, r.Subject+"|"+r.Site+"|"+r.ItemGroupRepeat+"|"+r.Item+"|"+r.Value+"|"+r.TransactionType+"|"+map[bool]string{true: "null"}[r.IsNull])
		}
	}
	want := []string{
		"101-001|101|@CONTEXT|EX.STDAT|2024-11-03|Context|",
		"101-001|101|@CONTEXT|EX.TAKEN|3|Upsert|",
		"101-001|101|@CONTEXT|EX.NOTE|" + hostile + "|Upsert|",
		"101-001|101|@CONTEXT|EX.EMPTY||Upsert|",
		"101-001|101|@CONTEXT|EX.MODE||Upsert|null",
		"101-002|101|@CONTEXT|EX.STDAT|2024-11-03|Context|",
		"101-002|101|@CONTEXT|EX.TAKEN|0|Upsert|",
		"101-002|101|@CONTEXT|EX.MODE||Upsert|null",
	}
	if !reflect.DeepEqual(items, want) {
		t.Fatalf("round trip\n got: %q\nwant: %q\n%s", items, want, buf.String())
	}
	// Every container carries its TransactionType, so each is a row too.
	kinds := map[Kind]int{}
	for _, r := range res.rows {
		kinds[r.Kind]++
	}
	if kinds[KindSubject] != 2 || kinds[KindEvent] != 2 || kinds[KindForm] != 2 || kinds[KindItemGroup] != 2 {
		t.Fatalf("container rows %v", kinds)
	}
}

// TestWriterRoundTripRandom: random values, including every character class the escaper handles,
// come back exactly; Written and CloseSize predict the final size at every step.
func TestWriterRoundTripRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	alphabet := []rune("aZ09 \t\n\r&<>\"'];=/#x\u00e9\u65e5\U0001F600\u0085\u2028")
	randValue := func() string {
		n := rng.IntN(12)
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteRune(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	for round := 0; round < 50; round++ {
		var buf bytes.Buffer
		w := NewWriter(&buf, testHeader)
		if err := w.StartClinicalData(randValue()+"S", "1"); err != nil {
			t.Fatal(err)
		}
		var want []string
		for s := 0; s < 3; s++ {
			key := randValue() + "K"
			if err := w.StartSubject(Subject{Key: key, Site: "X" + randValue()}); err != nil {
				t.Fatal(err)
			}
			_ = w.StartEvent(Container{OID: "E", RepeatKey: randValue()})
			_ = w.StartForm(Container{OID: "F"})
			_ = w.StartItemGroup(Container{OID: "G"})
			for i := 0; i < 3; i++ {
				v := randValue()
				if err := w.Item(Item{OID: "I" + randValue(), Value: v}); err != nil {
					t.Fatal(err)
				}
				want = append(want, key+"="+v)
			}
			predicted := w.Written() + w.CloseSize()
			if s == 2 {
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if int64(buf.Len()) != predicted {
					t.Fatalf("Written+CloseSize predicted %d, document is %d", predicted, buf.Len())
				}
				break
			}
			for i := 0; i < 4; i++ {
				_ = w.End()
			}
		}
		res := readAll(t, buf.Bytes())
		if res.err != nil {
			t.Fatalf("round %d: %v\n%s", round, res.err, buf.String())
		}
		var got []string
		for _, r := range res.rows {
			got = append(got, r.Subject+"="+r.Value)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d\n got: %q\nwant: %q", round, got, want)
		}
	}
}

func TestWriterRefuses(t *testing.T) {
	tests := []struct {
		name string
		do   func(w *Writer) error
		want string
	}{
		{"invalid UTF-8", func(w *Writer) error { return w.Item(Item{OID: "I", Value: "caf\xe9"}) }, "invalid UTF-8"},
		{"control character", func(w *Writer) error { return w.Item(Item{OID: "I", Value: "a\x01"}) }, "U+0001"},
		{"no ItemOID", func(w *Writer) error { return w.Item(Item{Value: "1"}) }, "needs an ItemOID"},
		{"IsNull and value", func(w *Writer) error { return w.Item(Item{OID: "I", Value: "1", IsNull: true}) }, "IsNull and a value"},
		{"bad TransactionType", func(w *Writer) error { return w.Item(Item{OID: "I", TransactionType: "Merge"}) }, "invalid TransactionType"},
		{"wrong nesting", func(w *Writer) error { return w.StartForm(Container{OID: "F"}) }, "<FormData> must be written inside <StudyEventData>, not <ItemGroupData>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewWriter(&buf, testHeader)
			_ = w.StartClinicalData("S", "1")
			_ = w.StartSubject(Subject{Key: "K"})
			_ = w.StartEvent(Container{OID: "E"})
			_ = w.StartForm(Container{OID: "F"})
			_ = w.StartItemGroup(Container{OID: "G"})
			before := w.Written()
			err := tt.do(w)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if w.Written() != before {
				t.Fatal("a refused element was partly written")
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if res := readAll(t, buf.Bytes()); res.err != nil {
				t.Fatalf("document after a refusal is broken: %v", res.err)
			}
		})
	}
	if err := NewWriter(&bytes.Buffer{}, Header{}).StartClinicalData("S", "1"); err == nil {
		t.Fatal("no FileOID accepted")
	}
	w := NewWriter(&bytes.Buffer{}, testHeader)
	_ = w.Close()
	if err := w.StartClinicalData("S", "1"); err == nil {
		t.Fatal("write after Close accepted")
	}
}

// TestWriterByteLimit: a caller keeping a POST under a limit with Written and CloseSize never exceeds it.
func TestWriterByteLimit(t *testing.T) {
	const limit = 4000
	var buf bytes.Buffer
	w := NewWriter(&buf, testHeader)
	_ = w.StartClinicalData("ALPHA", "1")
	subjects := 0
	for i := 0; ; i++ {
		var scratch bytes.Buffer
		sw := NewWriter(&scratch, testHeader)
		_ = sw.StartClinicalData("ALPHA", "1")
		base := sw.Written()
		writeSubject(t, sw, "S"+strings.Repeat("x", i%5), "101", map[string]string{"EX.TAKEN": "1"})
		size := sw.Written() - base
		if w.Written()+size+w.CloseSize() > limit {
			break
		}
		writeSubject(t, w, "S"+strings.Repeat("x", i%5), "101", map[string]string{"EX.TAKEN": "1"})
		subjects++
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > limit || subjects == 0 || buf.Len() < limit/2 {
		t.Fatalf("%d subjects in %d bytes, limit %d", subjects, buf.Len(), limit)
	}
}
