package app

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/trialsync/trialsync/sync/agent"
)

// TestAuditFilter: the filter's fields reach the agent as one AuditFilter; a time that cannot be read
// is refused beside its field and nothing is searched; Clear goes back to the whole trail.
func TestAuditFilter(t *testing.T) {
	f := newFake(12)
	f.entries[3].Actor, f.entries[3].Action = "agent", "creds.set"
	f.entries[8].Actor, f.entries[8].Action = "agent", "creds.set"
	u, s := openAudit(t, f, Options{PageSize: 5})
	fl := s.filter
	if !fl.clear.Disabled() {
		t.Fatal("Clear is enabled with no filter")
	}

	fl.action.SetSelected("creds.set")
	test.Type(fl.actor, "AGENT")
	test.Tap(fl.apply)
	u.bridge.wait()
	if n := len(f.searches); n != 1 || f.searches[0] != (agent.AuditFilter{Action: "creds.set", Actor: "AGENT"}) {
		t.Fatalf("searches %+v", f.searches)
	}
	mustShow(t, u.win, "2 matching entries, newest first")
	if len(s.entries) != 2 || s.entries[1].Seq != 9 || !s.older.Disabled() || !s.newer.Disabled() || fl.clear.Disabled() {
		t.Fatalf("shows %d entries (last %d), older %v newer %v", len(s.entries), s.entries[len(s.entries)-1].Seq, !s.older.Disabled(), !s.newer.Disabled())
	}

	// A date that cannot be read: its message beside it, no search.
	test.Type(fl.from, "yesterday")
	test.Tap(fl.apply)
	u.bridge.wait()
	if len(f.searches) != 1 || fl.fromErr.Text != errTimeFormat.Error() {
		t.Fatalf("a bad date searched (%d) or says %q", len(f.searches), fl.fromErr.Text)
	}
	fl.from.SetText("2026-01-02 03:10")
	fl.to.SetText("2026-01-02")
	if fl.toErr.Text != "must be after From" {
		t.Errorf("Until before From says %q", fl.toErr.Text)
	}
	fl.to.SetText("2026-01-02 03:14")
	test.Tap(fl.apply)
	u.bridge.wait()
	from := time.Date(2026, 1, 2, 3, 10, 0, 0, time.Local)
	want := agent.AuditFilter{Action: "creds.set", Actor: "AGENT", From: from, To: from.Add(4 * time.Minute)}
	if got := f.searches[len(f.searches)-1]; got != want || fl.fromErr.Text != "" || fl.toErr.Text != "" {
		t.Fatalf("search %+v, want %+v (messages %q %q)", got, want, fl.fromErr.Text, fl.toErr.Text)
	}

	// A day as the end includes the whole day.
	fl.from.SetText("")
	fl.to.SetText("2026-01-02")
	test.Tap(fl.apply)
	u.bridge.wait()
	if got := f.searches[len(f.searches)-1].To; !got.Equal(time.Date(2026, 1, 3, 0, 0, 0, 0, time.Local)) {
		t.Errorf("until 2026-01-02 searches before %v, want the next midnight", got)
	}

	test.Tap(fl.clear)
	u.bridge.wait()
	mustShow(t, u.win, "Entries 8–12 of 12")
	if fl.action.Selected != anyAction || fl.actor.Text != "" || !fl.clear.Disabled() {
		t.Error("Clear left the filter set")
	}
}

// TestAuditFilterNoMatch and an agent that cannot search.
func TestAuditFilterNoMatch(t *testing.T) {
	f := newFake(5)
	u, s := openAudit(t, f, Options{})
	test.Type(s.filter.object, "nothing like it")
	test.Tap(s.filter.apply)
	u.bridge.wait()
	mustShow(t, u.win, "No entry matches the filter")
	f.mu.Lock()
	f.entriesErr = errFake
	f.mu.Unlock()
	test.Tap(s.filter.apply)
	u.bridge.wait()
	mustBeRed(t, u.win, "Could not search the audit trail: store is locked")
}

// TestAuditExport: the file chosen goes to the agent, which writes it; the outcome is said, and a
// failure is a sentence with the technical text behind Details.
func TestAuditExport(t *testing.T) {
	f := newFake(7)
	u, s := openAudit(t, f, Options{})
	if s.exported.box.Visible() {
		t.Fatal("an export outcome is on show before any export")
	}
	s.exportTo("/home/crc/audit.jsonl")
	u.bridge.wait()
	if len(f.exports) != 1 || f.exports[0] != "/home/crc/audit.jsonl" {
		t.Fatalf("exports %q", f.exports)
	}
	mustShow(t, u.win, "Exported 7 entries and the keyed checkpoint (tip abababababab) to /home/crc/audit.jsonl.")
	if s.export.Disabled() {
		t.Error("Export… stays disabled")
	}
	f.mu.Lock()
	f.exportErr = errFake
	f.mu.Unlock()
	s.exportTo("/mnt/usb/audit.jsonl")
	u.bridge.wait()
	mustBeRed(t, u.win, "The audit trail could not be exported to /mnt/usb/audit.jsonl.")
	if shows(u.win, "pid 4242") {
		t.Error("the technical text shows before Details")
	}
}
