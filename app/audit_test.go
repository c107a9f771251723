package app

import (
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/trialsync/trialsync/store"
)

// openAudit shows the Audit screen and waits for its first page.
func openAudit(t *testing.T, f *fakeBackend, opts Options) (*UI, *auditScreen) {
	t.Helper()
	u, _ := openOn(t, f, opts, auditNav)
	if u.Current() != "Audit" {
		t.Fatalf("on %q, want Audit", u.Current())
	}
	return u, u.audit
}

func TestAuditVerifyResult(t *testing.T) {
	cases := []struct {
		name     string
		setup    func(f *fakeBackend)
		want     string
		green    bool
		wantPage string // the page on show after the verdict
		detail   string // the entry selected in the list, in full
	}{
		{
			name:     "good store",
			setup:    func(*fakeBackend) {},
			want:     "Verified: 20 entries, tip " + store.Report{Tip: newFake(0).report.Tip}.TipHex()[:12],
			green:    true,
			wantPage: "Entries 16–20 of 20",
		},
		{
			name: "content changed",
			setup: func(f *fakeBackend) {
				f.report.Entries = 6
				f.report.Problem = &store.Problem{Seq: 7, Kind: store.ContentChanged, Detail: "hash does not match"}
			},
			want:     "Broken at entry 7: content changed (hash does not match)",
			wantPage: "Entries 6–10 of 20",
			detail:   "Entry 7 at 2026-01-02T03:11:05Z by crc.jones: test.action7 object-7",
		},
		{
			name: "tail truncated",
			setup: func(f *fakeBackend) {
				f.report.Entries = 20
				f.report.Problem = &store.Problem{Seq: 21, Kind: store.TailTruncated, Detail: "checkpoint covers 25 entries"}
			},
			want:     "Broken at entry 21: tail truncated (checkpoint covers 25 entries)",
			wantPage: "Entries 16–20 of 20",
		},
		{
			name: "key missing",
			setup: func(f *fakeBackend) {
				f.report.Entries = 0
				f.report.Problem = &store.Problem{Seq: 1, Kind: store.KeyMissing, Detail: "no audit key in the keyring"}
			},
			want:     "Broken at entry 1: key missing (no audit key in the keyring)",
			wantPage: "Entries 1–5 of 20",
			detail:   "Entry 1 at 2026-01-02T03:05:05Z by crc.jones: test.action1 object-1",
		},
		{
			name:     "backend error",
			setup:    func(f *fakeBackend) { f.verifyErr = errFake },
			want:     "Could not verify: store is locked by another trialsync (pid 4242) close it first",
			wantPage: "Entries 16–20 of 20",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(20)
			tc.setup(f)
			u, s := openAudit(t, f, Options{PageSize: 5})
			if s.result.box.Visible() {
				t.Fatal("a verdict is on show before Verify was clicked")
			}
			test.Tap(s.verify)
			u.bridge.wait()

			mustShow(t, u.win, tc.want, tc.wantPage)
			wantDetail := tc.detail
			if wantDetail == "" {
				wantDetail = noDetail
			}
			if got := s.detail.Text; !strings.HasPrefix(got, wantDetail) {
				t.Errorf("detail %q, want it to start %q", got, wantDetail)
			}
			if !s.result.box.Visible() || s.result.text.Text != tc.want {
				t.Fatalf("verdict %q (visible %v), want %q", s.result.text.Text, s.result.box.Visible(), tc.want)
			}
			want, other := bannerRed, bannerGreen
			if tc.green {
				want, other = bannerGreen, bannerRed
			}
			if s.result.bg.FillColor != want {
				t.Errorf("banner colour %v, want %v", s.result.bg.FillColor, want)
			}
			if s.verifying.Visible() || s.verify.Disabled() {
				t.Error("progress still on show or Verify still disabled after the verdict")
			}
			// The colour must be painted, not only set: count it in the rendered screen.
			screen := u.win.Content()
			if n := countColor(screen, want); n < 2000 {
				t.Errorf("%d pixels of the verdict colour painted, want a banner's worth", n)
			}
			if n := countColor(screen, other); n != 0 {
				t.Errorf("%d pixels of the opposite verdict colour painted", n)
			}
		})
	}
}

func TestAuditVerifyProgress(t *testing.T) {
	f := newFake(10)
	f.gate, f.reached = make(chan struct{}), make(chan struct{})
	u, s := openAudit(t, f, Options{})
	test.Tap(s.verify)
	<-f.reached // the fake has reported 5 of 10 and waits

	if !s.verifying.Visible() {
		t.Error("no progress bar while verifying")
	}
	if v, _ := s.progress.Get(); v != 0.5 {
		t.Errorf("progress %v, want 0.5", v)
	}
	if !s.verify.Disabled() {
		t.Error("Verify can be clicked again while verifying")
	}
	test.Tap(s.verify) // ignored while disabled
	if s.result.box.Visible() {
		t.Error("a verdict is on show while verifying")
	}
	close(f.gate)
	u.bridge.wait()
	if f.verifies != 1 {
		t.Errorf("%d verifications ran, want 1", f.verifies)
	}
	if v, _ := s.progress.Get(); v != 1 {
		t.Errorf("progress %v at the end, want 1", v)
	}
	mustShow(t, u.win, "Verified: 10 entries")
}

func TestAuditListsEntries(t *testing.T) {
	f := newFake(12)
	u, s := openAudit(t, f, Options{PageSize: 5})
	steps := []struct {
		tap      *widget.Button
		page     string
		top      string // the first row, newest first
		older    bool
		newer    bool
		rowCount int
	}{
		{nil, "Entries 8–12 of 12", "12", true, false, 5},
		{s.older, "Entries 3–7 of 12", "7", true, true, 5},
		{s.older, "Entries 1–5 of 12", "5", false, true, 5},
		{s.newer, "Entries 6–10 of 12", "10", true, true, 5},
		{s.newer, "Entries 11–12 of 12", "12", true, false, 2},
		{s.older, "Entries 6–10 of 12", "10", true, true, 5},
		{s.newest, "Entries 8–12 of 12", "12", true, false, 5},
	}
	for i, st := range steps {
		if st.tap != nil {
			test.Tap(st.tap)
			u.bridge.wait()
		}
		mustShow(t, u.win, st.page)
		if got := len(s.entries); got != st.rowCount {
			t.Fatalf("step %d: %d rows, want %d", i, got, st.rowCount)
		}
		top := s.entries[len(s.entries)-1]
		if got := cell(top, 0); got != st.top {
			t.Errorf("step %d: first row is entry %s, want %s", i, got, st.top)
		}
		if s.older.Disabled() == st.older || s.newer.Disabled() == st.newer {
			t.Errorf("step %d: older enabled %v newer enabled %v, want %v %v", i,
				!s.older.Disabled(), !s.newer.Disabled(), st.older, st.newer)
		}
	}
	// The table shows the six columns of the newest entry, header first.
	mustShow(t, u.win, "Seq", "Time", "Actor", "Action", "Object", "Reason",
		"crc.jones", "test.action12", "object-12", "reason 12", f.entries[11].Time.Local().Format("2006-01-02 15:04:05"))
}

// TestAuditLatestLoadWins: a slow answer to an earlier request must not replace the page the
// coordinator asked for since.
func TestAuditLatestLoadWins(t *testing.T) {
	f := newFake(12)
	u, s := openAudit(t, f, Options{PageSize: 5})
	hold := make(chan struct{})
	f.mu.Lock()
	f.hold = hold
	f.mu.Unlock()
	test.Tap(s.older)  // held: would show 3–7
	test.Tap(s.newest) // asked last: 8–12
	close(hold)
	u.bridge.wait()
	mustShow(t, u.win, "Entries 8–12 of 12")
	if shows(u.win, "Entries 3–7") {
		t.Error("the held, earlier request's page replaced the later one")
	}
}

func TestAuditListErrors(t *testing.T) {
	cases := []struct {
		name  string
		setup func(f *fakeBackend)
	}{
		{"entries fail", func(f *fakeBackend) { f.entriesErr = errFake }},
		{"status fails", func(f *fakeBackend) { f.statusErr = errFake }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(3)
			tc.setup(f)
			u, s := openAudit(t, f, Options{})
			want := "Could not read the audit trail: store is locked by another trialsync (pid 4242) close it first"
			mustShow(t, u.win, want)
			if s.listErr.Importance != widget.DangerImportance {
				t.Errorf("error text importance %v, want danger (red)", s.listErr.Importance)
			}
			// Once the backend recovers, Newest clears the error and lists the entries.
			f.mu.Lock()
			f.entriesErr, f.statusErr = nil, nil
			f.mu.Unlock()
			test.Tap(s.newest)
			u.bridge.wait()
			if shows(u.win, "Could not read") {
				t.Error("the error stays on show after a successful reload")
			}
			mustShow(t, u.win, "Entries 1–3 of 3")
		})
	}
}

func TestAuditEmptyLedger(t *testing.T) {
	u, s := openAudit(t, newFake(0), Options{})
	mustShow(t, u.win, "No entries")
	if !s.older.Disabled() || !s.newer.Disabled() {
		t.Error("paging enabled on an empty ledger")
	}
}

func TestCapitalize(t *testing.T) {
	for in, want := range map[string]string{"broken at": "Broken at", "": "", "élan": "Élan"} {
		if got := capitalize(in); got != want {
			t.Errorf("capitalize(%q) = %q, want %q", in, got, want)
		}
	}
	if !errors.Is(errFake, errFake) || strings.Contains(oneLine(errFake.Error()), "\n") {
		t.Error("oneLine kept a newline")
	}
}
