package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary documents to the parser: it must never panic, and a rejected document
// must yield a one-line *Error with a line inside the document.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.toml")
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("\ufeff[rave]\r\nurl = \"https://x.org\"\r\n"))
	f.Add([]byte("[[rave.study]]\n[rave.study.sites]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parse("f.toml", data)
		if err == nil {
			if cfg == nil {
				t.Fatal("nil config and nil error")
			}
			return
		}
		var cerr *Error
		if !errors.As(err, &cerr) {
			t.Fatalf("error %T %v is not a *config.Error", err, err)
		}
		if strings.ContainsAny(err.Error(), "\r\n") {
			t.Fatalf("error spans lines: %q", err)
		}
		if lines := strings.Count(string(data), "\n") + 1; cerr.Line < 1 || cerr.Line > lines {
			t.Fatalf("error line %d outside the document's %d lines: %v", cerr.Line, lines, err)
		}
	})
}
