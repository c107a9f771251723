package remote

import (
	"net/http"
	"strings"
	"testing"
	"unicode"
)

func TestClean(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain", "Study not found.", "Study not found."},
		{"colour", "\x1b[31;1mDenied\x1b[0m now", "Denied now"},
		{"cursor and erase", "a\x1b[2J\x1b[H\x1b[?25lb", "ab"},
		{"window title (OSC, BEL)", "x\x1b]0;pwned\x07y", "xy"},
		{"OSC 8 hyperlink (ST)", "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"C1 CSI", "a\u009b31mb", "ab"},
		{"other controls", "a\x00b\x08c\x7fd\x01e", "abcde"},
		{"next line is a line break", "d\u0085e", "d e"},
		{"new lines fold", "line one\r\nline two\n\tthree", "line one line two three"},
		{"forged log line", "ok\n{\"level\":\"info\",\"msg\":\"all good\"}", `ok {"level":"info","msg":"all good"}`},
		{"bidi override", "abc\u202edcba\u202c", "abcdcba"},
		{"invalid utf-8", "a\xffb", "a\ufffdb"},
		{"lone escape at end", "abc\x1b", "abc"},
		{"clipped", strings.Repeat("é", 400), strings.Repeat("é", 300) + "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Clean(tc.in); got != tc.want {
				t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestServerTextCleaned: escape sequences and control characters in a plain-text and an HTML error
// body never reach the error string (and so never a terminal or a log line).
func TestServerTextCleaned(t *testing.T) {
	for _, tc := range []struct {
		name, contentType, body, want string
	}{
		{"text", "text/plain", "\x1b[2J\x1b[31mService\x1b[0m down\r\n\x1b]0;owned\x07for maintenance", "Service down for maintenance"},
		{"html", "text/html", "<html><head><title>\x1b[5mMaintenance\x1b[0m &#27;[31m&amp; more</title></head></html>", "Maintenance & more"},
		{"json", "application/json", `{"code":"E\u001b[1m1","message":"bad \u001b]0;x\u0007regimen"}`, "E1: bad regimen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(tc.body))
			})
			c := newClient(t, testConfig(srv.URL, &waits{}))
			_, err := get(t.Context(), c, "x")
			msg := err.Error()
			if strings.IndexFunc(msg, unicode.IsControl) >= 0 || strings.Contains(msg, "[31m") {
				t.Fatalf("control characters reached the error: %q", msg)
			}
			if !strings.HasSuffix(msg, tc.want) {
				t.Fatalf("error %q, want it to end %q", msg, tc.want)
			}
			if strings.IndexFunc(c.State().LastError, unicode.IsControl) >= 0 {
				t.Fatalf("control characters reached the state: %q", c.State().LastError)
			}
		})
	}
}
