package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPrivateModeRefusesWhatItCannotTighten: a store readable by others that this user cannot chmod
// (someone else's file) is refused with the reason and the command that fixes it, and left as it is.
// (Root may chmod any file, so the refusal is driven through a chmod that fails as it would.)
func TestPrivateModeRefusesWhatItCannotTighten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644) // whatever the umask
	notOwner := func(p string, _ fs.FileMode) error {
		return &fs.PathError{Op: "chmod", Path: p, Err: fs.ErrPermission}
	}
	_, _, err := privateMode(path, notOwner)
	if err == nil || !strings.Contains(err.Error(), "mode 0644") || !strings.Contains(err.Error(), "not its owner") ||
		!strings.Contains(err.Error(), "chmod 600 "+path) {
		t.Fatalf("privateMode: %v", err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode changed to %v", fi.Mode())
	}
	other := errors.New("read-only file system")
	if _, _, err := privateMode(path, func(string, fs.FileMode) error { return other }); err == nil ||
		!strings.Contains(err.Error(), "read-only file system") {
		t.Fatalf("privateMode with another failure: %v", err)
	}
}
