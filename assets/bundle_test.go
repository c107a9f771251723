package assets

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// fyneApp is the part of FyneApp.toml that the fyne tool reads for a desktop bundle.
type fyneApp struct {
	Website     string
	Description string
	Details     struct {
		Icon, Name, ID, Version string
		Build                   int
	}
	LinuxAndBSD struct {
		GenericName, Comment string
		Categories, Keywords []string
	}
}

// appID is the ID in FyneApp.toml, and also the ID cmd/trialsync gives fyne's app, under which the
// GUI keeps its preferences: changing it would lose every coordinator's settings.
const appID = "org.trialsync.agent"

func loadFyneApp(t *testing.T) fyneApp {
	t.Helper()
	f, err := os.Open("../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var app fyneApp
	d := toml.NewDecoder(f)
	d.DisallowUnknownFields()
	if err := d.Decode(&app); err != nil {
		t.Fatalf("FyneApp.toml: %v", err)
	}
	return app
}

// mainCategories are the freedesktop.org menu's main categories; a .desktop file needs one of them
// to appear in the menu.
var mainCategories = []string{"AudioVideo", "Audio", "Video", "Development", "Education", "Game",
	"Graphics", "Network", "Office", "Science", "Settings", "System", "Utility"}

func TestFyneAppMetadata(t *testing.T) {
	app := loadFyneApp(t)
	d := app.Details
	if d.ID != appID {
		t.Errorf("ID %q, want %q (the GUI's preferences live under it)", d.ID, appID)
	}
	if d.Name != "trialsync" {
		t.Errorf("Name %q, want trialsync (the bundle, its .desktop entry and the .app are named after it)", d.Name)
	}
	if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(d.Version) {
		t.Errorf("Version %q is not x.y.z, which macOS and Windows need", d.Version)
	}
	if d.Build < 1 {
		t.Errorf("Build %d, want 1 or more", d.Build)
	}
	icon, err := os.ReadFile(filepath.Join("..", d.Icon))
	if err != nil {
		t.Fatalf("Icon: %v", err)
	}
	if !bytes.Equal(icon, iconPNG) {
		t.Errorf("Icon %s is not the icon the binary embeds (assets/icon.png)", d.Icon)
	}
	l := app.LinuxAndBSD
	if !slices.ContainsFunc(l.Categories, func(c string) bool { return slices.Contains(mainCategories, c) }) {
		t.Errorf("Categories %q name no main category of the desktop menu", l.Categories)
	}
	if l.Comment == "" || l.GenericName == "" {
		t.Errorf("the desktop entry needs a Comment and a GenericName: %+v", l)
	}
}

// TestDesktopBundle unpacks the bundle `make package` built and checks what a coordinator's desktop
// will see: the .desktop entry, the icon, and a binary that runs. `make test` builds the bundle
// first and names it in TRIALSYNC_BUNDLE, with the version and commit it was built with.
func TestDesktopBundle(t *testing.T) {
	bundle := os.Getenv("TRIALSYNC_BUNDLE")
	if bundle == "" {
		t.Skip("TRIALSYNC_BUNDLE is not set: `make test` builds the bundle with `make package` and checks it here")
	}
	dir := t.TempDir()
	if out, err := exec.Command("tar", "-xJf", bundle, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("unpacking %s: %v: %s", bundle, err, out)
	}
	app := loadFyneApp(t)
	want := bundleWant{
		name: app.Details.Name, categories: app.LinuxAndBSD.Categories,
		version: os.Getenv("TRIALSYNC_BUNDLE_VERSION"), commit: os.Getenv("TRIALSYNC_BUNDLE_COMMIT"),
	}
	for _, err := range checkBundle(t.Context(), dir, want) {
		t.Error(err)
	}
}

// bundleWant is what checkBundle expects of an unpacked bundle.
type bundleWant struct {
	name            string
	categories      []string
	version, commit string // what `version` must print; any when empty
}

// checkBundle checks an unpacked Linux bundle as the fyne tool lays it out: one top folder named
// after the app, holding a Makefile and usr/local (usr when the packaging machine had no /usr/local)
// with bin/<exe>, share/applications/<app ID>.desktop and share/pixmaps/<app ID>.png. It returns
// every problem it finds.
func checkBundle(ctx context.Context, dir string, want bundleWant) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	top := filepath.Join(dir, want.name)
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 1 || entries[0].Name() != want.name {
		fail("the bundle should hold one folder %q, it holds %v (%v)", want.name, names(entries), err)
	}
	if _, err := os.Stat(filepath.Join(top, "Makefile")); err != nil {
		fail("no Makefile to install with: %v", err)
	}
	prefix := filepath.Join(top, "usr", "local")
	if _, err := os.Stat(prefix); err != nil {
		prefix = filepath.Join(top, "usr")
	}
	desktop := filepath.Join(prefix, "share", "applications", appID+".desktop")
	entry, err := readDesktopEntry(desktop)
	if err != nil {
		return append(errs, err)
	}
	for key, want := range map[string]string{"Type": "Application", "Name": want.name, "Icon": appID} {
		if entry[key] != want {
			fail("%s: %s=%q, want %q", filepath.Base(desktop), key, entry[key], want)
		}
	}
	categories := strings.Split(strings.TrimSuffix(entry["Categories"], ";"), ";")
	if !strings.HasSuffix(entry["Categories"], ";") || !slices.Equal(categories, want.categories) {
		fail("%s: Categories=%q, want %q each ending with ;", filepath.Base(desktop), entry["Categories"], want.categories)
	}
	if entry["Comment"] == "" {
		fail("%s: no Comment", filepath.Base(desktop))
	}

	icon, err := os.ReadFile(filepath.Join(prefix, "share", "pixmaps", entry["Icon"]+".png"))
	switch {
	case err != nil:
		fail("the icon named by Icon=%s: %v", entry["Icon"], err)
	case !bytes.Equal(icon, iconPNG):
		fail("the bundle's icon is not assets/icon.png")
	default:
		if img, err := png.Decode(bytes.NewReader(icon)); err != nil || img.Bounds().Dx() != 256 {
			fail("the bundle's icon is not a 256-pixel PNG: %v", err)
		}
	}

	exe := strings.Fields(entry["Exec"])
	if len(exe) == 0 {
		return append(errs, fmt.Errorf("%s: no Exec", filepath.Base(desktop)))
	}
	bin := filepath.Join(prefix, "bin", exe[0])
	if fi, err := os.Stat(bin); err != nil || fi.Mode()&0o111 == 0 {
		return append(errs, fmt.Errorf("Exec=%s does not name an executable in the bundle's bin: %v", exe[0], err))
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "version")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return append(errs, fmt.Errorf("%s version: %v: %s", exe[0], err, stderr.Bytes()))
	}
	line := strings.TrimSpace(stderr.String())
	if m := regexp.MustCompile(`^trialsync (\S+) \(commit (\S+), store schema \d+\)$`).FindStringSubmatch(line); m == nil {
		fail("%s version printed %q", exe[0], line)
	} else if (want.version != "" && m[1] != want.version) || (want.commit != "" && m[2] != want.commit) {
		fail("%s version printed version %s commit %s, want %s and %s", exe[0], m[1], m[2], want.version, want.commit)
	}
	return errs
}

// readDesktopEntry reads the [Desktop Entry] group of a .desktop file.
func readDesktopEntry(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("desktop entry: %w", err)
	}
	defer f.Close()
	entry := map[string]string{}
	group := ""
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			group = line
		case group == "[Desktop Entry]":
			if k, v, ok := strings.Cut(line, "="); ok {
				entry[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(entry) == 0 {
		return nil, fmt.Errorf("%s: no [Desktop Entry] group", filepath.Base(path))
	}
	return entry, nil
}

func names(entries []os.DirEntry) []string {
	var n []string
	for _, e := range entries {
		n = append(n, e.Name())
	}
	return n
}
