package app

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/trialsync/trialsync/sync/agent"
)

func openSettings(t *testing.T, f *fakeBackend) (*UI, fyne.Window) {
	t.Helper()
	return openOn(t, f, Options{}, settingsNav)
}

// setButton is the Set… (or Replace…) button on the credential row of name.
func setButton(t *testing.T, s *settingsScreen, name string) *widget.Button {
	t.Helper()
	cells := s.creds.box.Objects
	for i := 0; i+2 < len(cells); i += 3 {
		if l, ok := cells[i+1].(*widget.Label); ok && strings.HasPrefix(l.Text, name+":") {
			return cells[i+2].(*widget.Button)
		}
	}
	t.Fatalf("no credential row for %s", name)
	return nil
}

// TestSettingsSetsCredential: Set… asks for the secret without showing it and hands it to the agent;
// an empty one is refused before it gets there; the agent's refusal shows in red.
func TestSettingsSetsCredential(t *testing.T) {
	cases := []struct {
		name    string
		typed   string
		cancel  bool
		credErr error
		want    []string // what the agent received
		shows   string
		red     string
	}{
		{name: "set", typed: "s3cret pass", want: []string{"rave.password=s3cret pass"}, shows: "Credential rave.password set."},
		{name: "empty", typed: ""},
		{name: "cancelled", typed: "s3cret", cancel: true},
		{name: "agent refuses", typed: "s3cret", credErr: errFake, want: []string{"rave.password=s3cret"},
			red: "Could not set credential rave.password: store is locked"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(1)
			f.credErr = tc.credErr
			f.settings.Config = settingsConfig()
			u, w := openSettings(t, f)
			s := u.settings
			s.form.poll.SetText("10m") // typed, not saved: setting a credential must leave it
			test.Tap(setButton(t, s, "rave.password"))
			d, entry := s.dialog, s.entry
			if d == nil || !entry.Password {
				t.Fatal("Set… opened no dialog with a hidden entry")
			}
			answer(u, d, entry, tc.typed, tc.cancel)
			if !slices.Equal(f.creds, tc.want) {
				t.Errorf("the agent received %q, want %q", f.creds, tc.want)
			}
			if tc.shows != "" {
				mustShow(t, w, tc.shows, "rave.password: set (fingerprint 00000000000d)")
				if b := setButton(t, s, "rave.password"); b.Text != "Replace…" {
					t.Errorf("a set credential's button says %q, want Replace…", b.Text)
				}
			}
			if tc.red != "" {
				mustBeRed(t, w, tc.red)
			}
			if shows(w, tc.typed) && tc.typed != "" {
				t.Error("the secret is on show")
			}
			if s.form.poll.Text != "10m" {
				t.Errorf("the settings form's unsaved edit became %q", s.form.poll.Text)
			}
		})
	}
}

// TestSettingsResetsPullPosition: the section offers the Rave pull's studies; Reset… asks for a
// reason (required) and hands the chosen study and feed to the agent, then says what it did.
func TestSettingsResetsPullPosition(t *testing.T) {
	f := newFake(1)
	u, w := openSettings(t, f)
	s := u.settings
	mustShow(t, w, "Available once the Rave pull is configured and running.")

	f.setSnap(t, u, func(sn *agent.Snapshot) { *sn = pullSnap(true, "", study("ALPHA(Prod)"), study("BETA(Prod)")) })
	if s.position.Hidden || !s.reset.Disabled() {
		t.Fatal("the section is hidden, or Reset… is enabled with no study chosen")
	}
	if !slices.Equal(s.study.Options, []string{"ALPHA(Prod)", "BETA(Prod)"}) {
		t.Fatalf("studies offered %q", s.study.Options)
	}
	s.study.SetSelected("BETA(Prod)")
	s.feed.SetSelected("Audit records")
	f.resetOut = []agent.FeedReset{{Feed: agent.FeedAudit, Old: "https://x/next", Reset: true}}

	// A blank reason is refused by the dialog; nothing reaches the agent.
	test.Tap(s.reset)
	test.Type(s.entry, "   ")
	s.dialog.Submit()
	u.bridge.wait()
	if len(f.resets) != 0 || s.dialog == nil {
		t.Fatalf("a blank reason went through: %+v", f.resets)
	}
	s.dialog.Hide()

	test.Tap(s.reset)
	answer(u, s.dialog, s.entry, "Rave moved to a new address", false)
	want := agent.CursorReset{Study: "BETA(Prod)", Feed: agent.FeedAudit, Reason: "Rave moved to a new address"}
	if len(f.resets) != 1 || f.resets[0] != want {
		t.Fatalf("the agent received %+v, want %+v", f.resets, want)
	}
	mustShow(t, w, "BETA(Prod): the audit records will be read from the beginning at the next pull.")

	f.resetErr = errFake
	test.Tap(s.reset)
	answer(u, s.dialog, s.entry, "again", false)
	mustBeRed(t, w, "Could not reset BETA(Prod): store is locked")
}

func TestResetText(t *testing.T) {
	got := resetText("ALPHA(Prod)", []agent.FeedReset{{Feed: agent.FeedDataset, Reset: true}, {Feed: agent.FeedAudit}})
	want := "ALPHA(Prod): the dataset will be read from the beginning at the next pull; the audit records had not been pulled yet (nothing to reset)."
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
