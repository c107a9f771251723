package checklist

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzScanner holds the scanner to encoding/json: it accepts exactly the inputs encoding/json decodes into
// an object (or an array), and hands out the same members with the same raw values. Fuzz it with
// `go test -run '^$' -fuzz FuzzScanner -fuzztime 60s ./sync/checklist/`; plain `go test` runs the seeds.
func FuzzScanner(f *testing.F) {
	for _, dir := range []string{"testdata/edc", "testdata/ctms"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	for _, s := range []string{
		`{}`, ` { } `, `[]`, `[1,"a",{"b":[null,true,false]}]`, `{"a":1,"a":2}`, `{"\u0061":"x","a\"b":"y"}`,
		`{"a":-0.5e+10}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"` + "\x01" + `"}`,
		`{"a":1,}`, `{"a" 1}`, `{"a":1}x`, `null`, `"s"`, `{"a":tru}`, "{\"a\":\"\xff\"}", `{"a":[1,2,]}`,
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001), `{"a":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`,
		`{"a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got := map[string]string{}
		err := eachMember(data, func(key []byte, v0, v1 int) {
			var k string
			if e := json.Unmarshal(key, &k); e != nil {
				t.Fatalf("key %s: %v", key, e)
			}
			got[k] = string(data[v0:v1])
		})
		var want map[string]json.RawMessage
		werr := json.Unmarshal(data, &want)
		if (err == nil) != (werr == nil && want != nil) {
			t.Fatalf("object %q: scanner %v, encoding/json %v", data, err, werr)
		}
		if err == nil {
			if !maps.EqualFunc(got, want, func(a string, b json.RawMessage) bool { return a == string(b) }) {
				t.Fatalf("object %q: members %q, encoding/json %q", data, got, want)
			}
		}
		var elems []string
		err = eachElement(data, func(e []byte) { elems = append(elems, string(e)) })
		var wantElems []json.RawMessage
		werr = json.Unmarshal(data, &wantElems)
		if (err == nil) != (werr == nil && wantElems != nil) {
			t.Fatalf("array %q: scanner %v, encoding/json %v", data, err, werr)
		}
		if err == nil {
			if len(elems) != len(wantElems) {
				t.Fatalf("array %q: %d elements, encoding/json %d", data, len(elems), len(wantElems))
			}
			for i := range elems {
				if elems[i] != string(wantElems[i]) {
					t.Fatalf("array %q: element %d %q, encoding/json %q", data, i, elems[i], wantElems[i])
				}
			}
		}
	})
}
