package logging

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// FileName is the name of the log file in the log directory; rotated files get .1, .2, ... appended.
const FileName = "trialsync.log"

// fileWriter appends to the log file and rotates it when the next write would take it past max bytes:
// trialsync.log becomes trialsync.log.1, .1 becomes .2, and so on up to backups files.
type fileWriter struct {
	mu      sync.Mutex
	path    string
	max     int64
	backups int
	f       *os.File
	size    int64
	closed  bool
}

// openFile creates dir (0700) if needed and opens dir/FileName for appending (0600).
func openFile(dir string, max int64, backups int) (*fileWriter, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("log directory: %w", err)
	}
	// The directory may predate us with looser permissions; logs are nobody else's business.
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("log directory: %w", err)
	}
	w := &fileWriter{path: filepath.Join(dir, FileName), max: max, backups: backups}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *fileWriter) open() error {
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("log file: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("log file: %w", err)
	}
	w.f, w.size = f, info.Size()
	return nil
}

// Write appends one record, rotating first if it would not fit. A record larger than max is written
// to a file of its own rather than dropped.
func (w *fileWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, fmt.Errorf("log file: %w", os.ErrClosed)
	}
	if w.f != nil && w.max > 0 && w.size > 0 && w.size+int64(len(p)) > w.max {
		if err := w.rotate(); err != nil {
			return 0, err
		}
	}
	if w.f == nil { // a failed rotation left no file open: try again
		if err := w.open(); err != nil {
			return 0, err
		}
	}
	n, err := w.f.Write(p)
	w.size += int64(n)
	return n, err
}

func (w *fileWriter) rotate() error {
	err := w.f.Close()
	w.f = nil
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	if w.backups > 0 {
		for i := w.backups - 1; i >= 1; i-- {
			from, to := fmt.Sprintf("%s.%d", w.path, i), fmt.Sprintf("%s.%d", w.path, i+1)
			if err := os.Rename(from, to); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("log rotation: %w", err)
			}
		}
		if err := os.Rename(w.path, w.path+".1"); err != nil {
			return fmt.Errorf("log rotation: %w", err)
		}
	} else if err := os.Remove(w.path); err != nil {
		return fmt.Errorf("log rotation: %w", err)
	}
	return w.open()
}

// Close closes the file.
func (w *fileWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}
