package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"sync"

	"github.com/rs/zerolog"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/checklist"
	"github.com/trialsync/trialsync/sync/config"
	"github.com/trialsync/trialsync/sync/logging"
	"github.com/trialsync/trialsync/sync/outbox"
	httpremote "github.com/trialsync/trialsync/sync/remote"
	"github.com/trialsync/trialsync/sync/rws"
	"github.com/trialsync/trialsync/sync/sureadhere"
)

// Options say where the agent's files are and how it reports.
type Options struct {
	StorePath  string    // bbolt file
	ConfigPath string    // TOML configuration
	LogLevel   string    // debug|info|warn|error
	LogDir     string    // JSON log directory; the user's cache directory when empty
	Console    io.Writer // human-readable log output (stderr); nil for none
	// KeyringService isolates tests from the user's own entries; store.ServiceName when empty.
	KeyringService string
	// Keyring replaces the OS keyring (unit tests use go-keyring's mock through store.SystemKeyring).
	Keyring store.Keyring
	// WrapKeyring, when set, wraps the keyring the agent uses (the demo records the entries it makes,
	// to remove them when it ends); secrets still reach the log redactor.
	WrapKeyring func(store.Keyring) store.Keyring
	// Engines replaces the engine registry (tests register engines of their own); the agent's own
	// registry when nil.
	Engines []Engine
}

// Agent is one run of trialsync. Open it, use it, Close it; it is safe for concurrent use.
//
// It is the composition root: it owns the configuration, the log, the keyring, the store, one client
// per remote system (shared by every engine that talks to it), the engine registry and the services
// Start builds from it, and the snapshot and change broadcast the GUI and the CLI read. It holds no
// engine's logic; each engine's file adapts its sync/<engine> package.
type Agent struct {
	opts    Options
	runID   string
	actor   string
	keyring store.Keyring
	creds   store.Credentials
	log     zerolog.Logger
	closeLg func() error
	redact  *logging.Redactor

	cfgMu     sync.Mutex
	cfgLoaded bool
	cfg       *config.Config
	cfgErr    error

	mu sync.Mutex
	db *store.DB

	engines []Engine
	rave    *remote[*rws.Client]
	remotes []remoteEntry
	studies keyLocks // a study's pull and a reset of its position never overlap
	changed broadcast

	edc, ctms *remote[*httpremote.Client] // the checklist systems
	checklist checklistWork

	outboxMu sync.Mutex
	outbox   *outbox.Outbox // the store's outbound queue, built on first use (outbox.go)

	sureadhere *remote[*sureadhere.Client]
	subjects   subjectPush // the subject push engine, built on first use

	runMu   sync.Mutex
	run     *runner // the services of the last Start; nil before it
	problem string  // why the last Start started nothing, for the snapshot

	auditMu sync.Mutex
	audit   AuditState
	figures Figures // the dashboard's, read by readFigures
}

// Open prepares an agent: logging first (so that every secret the keyring hands out is known to the
// redactor before anything can print it), then the keyring. The store is opened on first use, so
// commands that do not need it (creds list, odm) work while another instance holds it.
func Open(ctx context.Context, opts Options) (*Agent, error) {
	a := &Agent{opts: opts, runID: newRunID(), actor: osUser(), engines: opts.Engines}
	if a.engines == nil {
		a.engines = append(defaultEngines(), auditVerifyEngine())
	}
	a.rave = newRemote(RemoteRave, "Rave", []string{"rave.password", "rave.client_secret"}, a.newRaveClient)
	a.rave.changed = a.changed.notify
	a.sureadhere = newRemote(RemoteSureAdhere, "SureAdhere", []string{SureAdhereCredential}, a.newSureAdhereClient)
	a.sureadhere.changed = a.changed.notify
	a.edc = newRemote(RemoteEDC, "EDC", []string{EDCCredential}, a.newChecklistClient(checklist.EDC))
	a.ctms = newRemote(RemoteCTMS, "CTMS", []string{CTMSCredential}, a.newChecklistClient(checklist.CTMS))
	a.edc.changed, a.ctms.changed = a.changed.notify, a.changed.notify
	a.remotes = []remoteEntry{a.rave, a.sureadhere, a.edc, a.ctms}
	lg, closeLg, redact, err := newLogger(opts, a.runID)
	if err != nil {
		return nil, err
	}
	a.log, a.closeLg, a.redact = lg, closeLg, redact
	a.keyring = opts.Keyring
	if a.keyring == nil {
		a.keyring = store.NewSystemKeyring(opts.KeyringService, redact.Add)
	}
	if opts.WrapKeyring != nil {
		a.keyring = opts.WrapKeyring(a.keyring)
	}
	a.creds = store.Credentials{Keyring: a.keyring}
	return a, nil
}

// Store opens the store for writing on first call (creating it when missing) and returns it. A store
// this run opened read-only (ReadStore) is reopened for writing.
func (a *Agent) Store(ctx context.Context) (*store.DB, error) { return a.openStore(ctx, false) }

// ReadStore returns the store for reading: the one already open, or else opened read-only, which never
// creates a store, never writes to the file and works on a read-only copy. Verify, export and list use it.
func (a *Agent) ReadStore(ctx context.Context) (*store.DB, error) { return a.openStore(ctx, true) }

func (a *Agent) openStore(ctx context.Context, readOnly bool) (*store.DB, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.db != nil && (readOnly || !a.db.ReadOnly()) {
		return a.db, nil
	}
	if a.db != nil { // read-only so far, now needed for writing
		err := a.db.Close()
		a.db = nil
		if err != nil {
			return nil, err
		}
	}
	db, err := store.Open(ctx, a.opts.StorePath, store.Options{Keyring: a.keyring, RunID: a.runID, ReadOnly: readOnly})
	if err != nil {
		return nil, err
	}
	a.redact.SetFingerprint(db.Fingerprint)
	if db.Unclean() {
		a.log.Warn().Str("store", db.Path()).Msg("previous run did not shut down cleanly; store checked and consistent")
	}
	for _, n := range db.Notices() {
		a.log.Warn().Str("store", db.Path()).Msg(n)
	}
	a.db = db
	a.readAudit(ctx, db)
	a.readChecklistFrom(ctx, db, nil)
	return db, nil
}

// openedStore is the store if it is open, without opening it.
func (a *Agent) openedStore() *store.DB {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.db
}

// storeRefusesWrites says why the open store refuses writes (rolled back or replaced, audit key
// missing), nil when it accepts them or is not open.
func (a *Agent) storeRefusesWrites() error {
	if db := a.openedStore(); db != nil {
		return db.Writable()
	}
	return nil
}

// Close stops the services, then closes the store (recording a clean shutdown) and the log file.
func (a *Agent) Close() error {
	a.Stop()
	for _, r := range a.remotes {
		r.close()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var errs []error
	if a.db != nil {
		errs = append(errs, a.db.Close())
		a.db = nil
	}
	if a.closeLg != nil {
		errs = append(errs, a.closeLg())
		a.closeLg = nil
	}
	return errors.Join(errs...)
}

// Redact replaces every secret this run has seen with its fingerprint label; the CLI and the GUI pass
// error text through it before showing it.
func (a *Agent) Redact(s string) string { return a.redact.Redact(s) }

// RunID identifies this run in logs and audit entries.
func (a *Agent) RunID() string { return a.runID }

// Log is the agent's logger (secrets redacted, run ID on every line).
func (a *Agent) Log() *zerolog.Logger { return &a.log }

// Record appends one audit entry on its own, for something the person at the keyboard did (the store
// fills run ID, and actor with their OS user, when empty). Engines that change state use
// store.DB.Update with tx.Append instead, so that change and entry commit together.
func (a *Agent) Record(ctx context.Context, e store.Entry) (store.Entry, error) {
	db, err := a.Store(ctx)
	if err != nil {
		return store.Entry{}, err
	}
	var out store.Entry
	err = db.UpdateAs(ctx, a.actor, func(tx *store.Tx) error {
		out, err = tx.Append(e)
		return err
	})
	if err == nil {
		a.refreshAudit(ctx)
	}
	return out, err
}

// osUser names the person at the keyboard for audit entries.
func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if n := os.Getenv("USER"); n != "" {
		return n
	}
	return fmt.Sprintf("uid:%d", os.Getuid())
}
