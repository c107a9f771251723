package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// Writing a configuration back (the settings screen) goes through the same parser and validator as
// Load: the configuration is encoded as the file would be written, read back exactly as Load reads a
// file, and written only when that succeeds. So a file trialsync writes is always one it accepts at
// start, and a value the validator refuses never reaches the disk.

// Problem is one invalid setting: the key it is about ("rave.poll", "sureadhere.regimens.Arm A") and
// why, in words, without the value when it could hold a credential.
type Problem struct {
	Key    string
	Reason string
}

func (p Problem) Error() string { return p.Reason }

// Check validates cfg as Load would validate the file Save writes for it, and returns every problem
// (none when it is valid), in file order.
func Check(cfg *Config) []Problem {
	data, err := Encode(cfg)
	if err != nil {
		return []Problem{{Reason: err.Error()}}
	}
	_, problems := validate(data)
	return problems
}

// validate runs Load's checks over data and returns the configuration and every problem found.
func validate(data []byte) (*Config, []Problem) {
	cfg, problems := check(data)
	var out []Problem
	for _, p := range problems {
		out = append(out, Problem{Key: p.path, Reason: p.reason})
	}
	return cfg, out
}

// Encode writes cfg as a configuration file: every section present in cfg, every key with a value,
// durations in their shortest form ("5m", "24h"). Comments are not kept (Save keeps the previous file).
func Encode(cfg *Config) ([]byte, error) {
	var out fileConfig
	if r := cfg.Rave; r != nil {
		out.Rave = &fileRave{URL: r.URL, Auth: string(r.Auth), User: r.User, ClientID: r.ClientID,
			TokenURL: r.TokenURL, PageSize: r.PageSize, Poll: nonZero(r.Poll), RequestsPerSecond: r.RequestsPerSecond}
		for _, s := range r.Studies {
			out.Rave.Study = append(out.Rave.Study, fileStudy{OID: s.OID, Sites: s.Sites, ArmItem: s.ArmItem})
		}
	}
	if e := cfg.Exposure; e != nil {
		out.Exposure = &fileExposure{StudyOID: e.StudyOID, StudyEvent: e.StudyEvent, Drugs: e.Drugs,
			MaxAttempts: e.MaxAttempts, IntakeAddr: e.IntakeAddr}
	}
	if s := cfg.SureAdhere; s != nil {
		out.SureAdhere = &fileSureAdhere{URL: s.URL, Regimens: s.Regimens}
	}
	if c := cfg.Checklist; c != nil {
		out.Checklist = &fileChecklist{StudyID: c.StudyID, EDCURL: c.EDCURL, CTMSURL: c.CTMSURL, PageSize: c.PageSize,
			ReconcileEvery: nonZero(c.ReconcileEvery),
			EDC:            fileSystem(c.EDC), CTMS: fileSystem(c.CTMS)}
		if c.Owners != nil {
			out.Checklist.Owners = make(map[string]string, len(c.Owners))
			for _, k := range slices.Sorted(maps.Keys(c.Owners)) {
				out.Checklist.Owners[k] = string(c.Owners[k])
			}
		}
	}
	if a := cfg.Audit; a != nil {
		out.Audit = &fileAudit{VerifyEvery: nonZero(a.VerifyEvery)}
	}
	if s := cfg.Send; s != nil {
		out.Send = &fileSend{Every: nonZero(s.Every)}
	}
	var b bytes.Buffer
	b.WriteString("# trialsync configuration, written by trialsync's Settings screen.\n" +
		"# Secrets are never kept here: they live in the OS keyring (trialsync creds set NAME).\n\n")
	enc := toml.NewEncoder(&b)
	enc.SetIndentTables(false)
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("config: encoding: %w", err)
	}
	return b.Bytes(), nil
}

// Duration writes d as a configuration value in its shortest form: "5m" rather than "5m0s", "24h"
// rather than "24h0m0s".
func Duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// nonZero is Duration(d), or "" (left out) for zero.
func nonZero(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return Duration(d)
}

// ErrInvalid is wrapped by Save's error when cfg does not pass the checks Load applies; nothing was
// written.
var ErrInvalid = errors.New("configuration not valid")

// Save writes cfg to path after checking that Load will accept what it writes: encoded, read back
// with Load's own checks, then written to a temporary file beside path, flushed to disk and renamed
// over it, so a crash leaves the old file or the new one, never a mix. The file it replaces is kept as
// path + ".bak". It returns the configuration as Load will read it.
func Save(path string, cfg *Config) (*Config, error) {
	data, err := Encode(cfg)
	if err != nil {
		return nil, err
	}
	saved, problems := validate(data)
	if len(problems) > 0 {
		p := problems[0]
		return nil, fmt.Errorf("%w: %s", ErrInvalid, p.Reason)
	}
	saved.Path = path
	if err := writeAtomic(path, data); err != nil {
		return nil, fmt.Errorf("config: writing %s: %w", path, err)
	}
	return saved, nil
}

// writeAtomic replaces path with data: previous file copied to path.bak, new content written to a
// temporary file in the same directory, synced, renamed into place, and the directory synced.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	mode := fs.FileMode(0o600)
	if old, err := os.ReadFile(path); err == nil {
		if fi, err := os.Stat(path); err == nil {
			mode = fi.Mode().Perm()
		}
		if err := writeSynced(path+".bak", old, mode); err != nil {
			return fmt.Errorf("keeping the previous file: %w", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // not every file system syncs directories; the rename itself is atomic
		d.Close()
	}
	return nil
}

func writeSynced(path string, data []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// fileSystem writes a [checklist.edc] or [checklist.ctms] table, or leaves it out when it changes
// nothing of the default adapter.
func fileSystem(s ChecklistSystem) *fileChecklistSystem {
	if s.Fields == nil && s.Statuses == nil && s.ListPath == "" && s.ItemPath == "" {
		return nil
	}
	return &fileChecklistSystem{Fields: s.Fields, Statuses: s.Statuses, ListPath: s.ListPath, ItemPath: s.ItemPath}
}
