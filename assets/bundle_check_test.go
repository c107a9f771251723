package assets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckBundleFindsProblems runs the bundle check on a bundle laid out as the fyne tool does
// (with a shell script standing in for the binary), whole and then with one thing wrong at a time,
// so that TestDesktopBundle cannot pass a broken bundle.
func TestCheckBundleFindsProblems(t *testing.T) {
	const desktop = "[Desktop Entry]\nType=Application\nName=trialsync\nExec=trialsync\nIcon=org.trialsync.agent\n" +
		"Comment=Keeps data in step\nCategories=Science;MedicalSoftware;\n\n[X-Fyne Source]\nName=other\n"
	const version = "#!/bin/sh\necho 'trialsync v1.2.3 (commit abc1234, store schema 1)' >&2\n"
	want := bundleWant{name: "trialsync", categories: []string{"Science", "MedicalSoftware"},
		version: "v1.2.3", commit: "abc1234"}
	for _, tc := range []struct {
		name   string
		prefix string                         // usr/local, or usr when the packaging machine had no /usr/local
		spoil  func(t *testing.T, top string) // top is the unpacked trialsync folder
		want   bundleWant
		errs   []string // one expected error for each, by a fragment of its text
	}{
		{name: "whole", prefix: "usr/local", want: want},
		{name: "whole, /usr prefix", prefix: "usr", want: want},
		{name: "any version", prefix: "usr/local", want: bundleWant{name: "trialsync", categories: want.categories}},
		{name: "no desktop entry", prefix: "usr/local", want: want, spoil: remove("usr/local/share/applications/org.trialsync.agent.desktop"),
			errs: []string{"desktop entry:"}},
		{name: "no icon", prefix: "usr/local", want: want, spoil: remove("usr/local/share/pixmaps/org.trialsync.agent.png"),
			errs: []string{"the icon named by Icon=org.trialsync.agent"}},
		{name: "another icon", prefix: "usr/local", want: want,
			spoil: write("usr/local/share/pixmaps/org.trialsync.agent.png", "\x89PNG not ours", 0o644),
			errs:  []string{"not assets/icon.png"}},
		{name: "no Makefile", prefix: "usr/local", want: want, spoil: remove("Makefile"), errs: []string{"no Makefile"}},
		{name: "wrong fields", prefix: "usr/local", want: want,
			spoil: edit("usr/local/share/applications/org.trialsync.agent.desktop",
				"Name=trialsync", "Name=Trialsync", "Categories=Science;MedicalSoftware;", "Categories=Science", "Comment=Keeps data in step", "Comment="),
			errs: []string{`Name="Trialsync"`, `Categories="Science"`, "no Comment"}},
		{name: "Exec names nothing", prefix: "usr/local", want: want,
			spoil: edit("usr/local/share/applications/org.trialsync.agent.desktop", "Exec=trialsync", "Exec=trialsync-gui %F"),
			errs:  []string{"Exec=trialsync-gui does not name an executable"}},
		{name: "binary not executable", prefix: "usr/local", want: want,
			spoil: write("usr/local/bin/trialsync", version, 0o644), errs: []string{"does not name an executable"}},
		{name: "binary fails", prefix: "usr/local", want: want,
			spoil: write("usr/local/bin/trialsync", "#!/bin/sh\necho 'trialsync: no display' >&2\nexit 1\n", 0o755),
			errs:  []string{"trialsync version: exit status 1: trialsync: no display"}},
		{name: "other version", prefix: "usr/local", want: want,
			spoil: write("usr/local/bin/trialsync", strings.Replace(version, "v1.2.3", "dev", 1), 0o755),
			errs:  []string{"printed version dev commit abc1234, want v1.2.3 and abc1234"}},
		{name: "garbled version", prefix: "usr/local", want: want,
			spoil: write("usr/local/bin/trialsync", "#!/bin/sh\necho hello >&2\n", 0o755), errs: []string{`printed "hello"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			top := filepath.Join(dir, "trialsync")
			write("Makefile", "install:\n", 0o644)(t, top)
			write(tc.prefix+"/share/applications/org.trialsync.agent.desktop", desktop, 0o644)(t, top)
			write(tc.prefix+"/share/pixmaps/org.trialsync.agent.png", string(iconPNG), 0o644)(t, top)
			write(tc.prefix+"/bin/trialsync", version, 0o755)(t, top)
			if tc.spoil != nil {
				tc.spoil(t, top)
			}
			errs := checkBundle(t.Context(), dir, tc.want)
			if len(errs) != len(tc.errs) {
				t.Fatalf("got %d problems %q, want %d %q", len(errs), errs, len(tc.errs), tc.errs)
			}
			for i, e := range errs {
				if !strings.Contains(e.Error(), tc.errs[i]) {
					t.Errorf("problem %d is %q, want one containing %q", i, e, tc.errs[i])
				}
			}
		})
	}
}

func write(rel, content string, mode os.FileMode) func(*testing.T, string) {
	return func(t *testing.T, top string) {
		t.Helper()
		p := filepath.Join(top, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
}

func remove(rel string) func(*testing.T, string) {
	return func(t *testing.T, top string) {
		t.Helper()
		if err := os.Remove(filepath.Join(top, rel)); err != nil {
			t.Fatal(err)
		}
	}
}

// edit replaces old with new in a file, for each old, new pair.
func edit(rel string, pairs ...string) func(*testing.T, string) {
	return func(t *testing.T, top string) {
		t.Helper()
		p := filepath.Join(top, rel)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for i := 0; i+1 < len(pairs); i += 2 {
			if !strings.Contains(s, pairs[i]) {
				t.Fatalf("%s has no %q", rel, pairs[i])
			}
			s = strings.Replace(s, pairs[i], pairs[i+1], 1)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
