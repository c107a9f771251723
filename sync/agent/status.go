package agent

import (
	"context"
	"errors"
	"slices"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/config"
)

// Status is what a coordinator (or `trialsync status`) sees at a glance.
type Status struct {
	RunID       string
	StorePath   string
	InstallID   string
	Schema      int
	AuditCount  uint64 // entries covered by the checkpoint
	AuditTip    string // hex
	ConfigPath  string
	ConfigError string   // empty when the configuration loaded (or there is none yet)
	Credentials []string // names only
}

// Status opens the store if needed and reports on it; configuration problems are reported, not
// returned, so the dashboard can show them.
func (a *Agent) Status(ctx context.Context) (Status, error) {
	st := Status{RunID: a.runID, StorePath: a.opts.StorePath, Schema: store.SchemaVersion, ConfigPath: a.opts.ConfigPath}
	db, err := a.Store(ctx)
	if err != nil {
		return st, err
	}
	st.InstallID = db.InstallID()
	cp, err := db.Checkpoint(ctx)
	if err != nil {
		return st, err
	}
	st.AuditCount, st.AuditTip = cp.Count, cp.Tip
	if _, err := a.Config(); errors.Is(err, config.ErrNotFound) {
		st.ConfigError = "no configuration file yet"
	} else if err != nil {
		st.ConfigError = err.Error()
	}
	st.Credentials, err = a.Credentials()
	return st, err
}

// HasCredential reports whether the named credential is in the keyring.
func (s Status) HasCredential(name string) bool { return slices.Contains(s.Credentials, name) }
