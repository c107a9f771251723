package app

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// Each screen, the text that only it shows.
var screenMarks = []struct{ name, mark string }{
	{"Dashboard", "Audit trail"},
	{"Rave pull", "Streams clinical data"},
	{"Exposures", "Daily dose (exposure) log lines"},
	{"Subjects", "Randomized subjects"},
	{"Checklists", "Site-activation checklists"},
	{"Audit", "Entries 1–3 of 3, newest first"},
	{"Settings", "Credentials (kept in the OS keyring)"},
}

func TestNavigationByClick(t *testing.T) {
	u, w := newTestUI(t, newFake(3), Options{})
	if len(u.nav) != len(screenMarks) {
		t.Fatalf("%d navigation entries, want %d", len(u.nav), len(screenMarks))
	}
	// Forward through every screen, then back, so that each one is left and entered again.
	order := []int{1, 2, 3, 4, 5, 6, 5, 4, 3, 2, 1, 0}
	for _, i := range order {
		want := screenMarks[i]
		t.Run(want.name, func(t *testing.T) {
			test.Tap(u.nav[i])
			u.bridge.wait()
			if got := u.Current(); got != want.name {
				t.Fatalf("current screen %q, want %q", got, want.name)
			}
			mustShow(t, w, want.mark)
			for j, other := range screenMarks {
				if j != i && shows(w, other.mark) {
					t.Errorf("screen %q also shows %q of %q", want.name, other.mark, other.name)
				}
				wantImp := widget.LowImportance
				if j == i {
					wantImp = widget.HighImportance
				}
				if u.nav[j].Importance != wantImp {
					t.Errorf("navigation %q has importance %v, want %v", other.name, u.nav[j].Importance, wantImp)
				}
			}
		})
	}
}

func TestNavigationByShortcut(t *testing.T) {
	u, w := newTestUI(t, newFake(3), Options{})
	sc, ok := w.Canvas().(fyne.Shortcutable)
	if !ok {
		t.Fatal("test canvas takes no shortcuts")
	}
	for i := len(screenMarks) - 1; i >= 0; i-- {
		want := screenMarks[i]
		sc.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyName(string(rune('1' + i))), Modifier: fyne.KeyModifierShortcutDefault})
		u.bridge.wait()
		if got := u.Current(); got != want.name {
			t.Fatalf("Ctrl+%d: current screen %q, want %q", i+1, got, want.name)
		}
		mustShow(t, w, want.mark)
	}
}
