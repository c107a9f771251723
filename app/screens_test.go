package app

import (
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/test"
)

func TestCredentialScreens(t *testing.T) {
	cases := []struct {
		screen int
		want   []string
		not    []string
	}{
		{3, []string{"sureadhere.token: not set (trialsync creds set sureadhere.token)"},
			[]string{"rave.password", "custom.extra"}},
		{6, []string{"rave.password: set (fingerprint 00000000000d)", "edc.token: not set", "custom.extra: set (fingerprint",
			"/data/trialsync.db", "/data/config.toml"}, nil},
	}
	for _, tc := range cases {
		t.Run(screenMarks[tc.screen].name, func(t *testing.T) {
			f := newFake(1)
			f.status.Credentials = []string{"custom.extra", "rave.password"}
			u, w := openOn(t, f, Options{}, tc.screen)
			mustShow(t, w, tc.want...)
			for _, s := range tc.not {
				if shows(w, s) {
					t.Errorf("%s shows %q", u.Current(), s)
				}
			}
			// A credential set while the GUI is open shows up the next time the screen is shown.
			f.mu.Lock()
			f.status.Credentials = append(f.status.Credentials, "intake.token", "sureadhere.token", "edc.token")
			f.mu.Unlock()
			test.Tap(u.nav[0])
			u.bridge.wait()
			test.Tap(u.nav[tc.screen])
			u.bridge.wait()
			if shows(w, "not set") && tc.screen != 6 {
				t.Errorf("%s still shows a credential as not set after it was set", u.Current())
			}
		})
	}
}

func TestCredentialScreenError(t *testing.T) {
	f := newFake(1)
	f.statusErr = errFake
	u, w := newTestUI(t, f, Options{})
	test.Tap(u.nav[6])
	u.bridge.wait()
	mustShow(t, w, "Could not read the store or keyring: store is locked")
}

// TestBridgeProgressThrottles checks that a backend reporting every one of a million entries moves
// the progress bar at most once per thousandth, and ends on 1.
func TestBridgeProgressThrottles(t *testing.T) {
	test.NewTempApp(t)
	b := newBridge(t.Context())
	f := binding.NewFloat()
	var changes atomic.Int64
	f.AddListener(binding.NewDataListener(func() { changes.Add(1) }))
	report := b.progress(f)
	const total = 1_000_000
	for i := uint64(0); i <= total; i++ {
		report(i, total)
	}
	report(5, 0) // a zero total is ignored, not a division by zero
	if v, _ := f.Get(); v != 1 {
		t.Errorf("progress ends at %v, want 1", v)
	}
	if n := changes.Load(); n > 1002 {
		t.Errorf("%d progress updates for %d reports, want at most 1002", n, total)
	}
}
