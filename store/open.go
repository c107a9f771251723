package store

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// DefaultLockTimeout is how long Open waits for another process to release the store before
// reporting ErrLocked.
const DefaultLockTimeout = time.Second

// Options configure Open.
type Options struct {
	// Keyring holds the audit key and checkpoint copy. Required.
	Keyring Keyring
	// LockTimeout is how long to wait for another instance; DefaultLockTimeout when zero.
	LockTimeout time.Duration
	// ReadOnly opens an existing store for reading only, as verify, export and list do: a missing store
	// is an error (ErrNoStore, or a *Problem when the keyring remembers a store there), nothing is
	// written to the file or the keyring, and several readers may hold it at once. A read-only copy
	// of a store (a 0400 file, a read-only directory) opens this way.
	ReadOnly bool
	// Actor is who the entries of Update are by when they leave Actor empty: ActorAgent when empty.
	// A person's changes go through UpdateAs instead.
	Actor string
	// RunID is recorded on every entry that leaves RunID empty.
	RunID string
	// Now is the clock for entry times; time.Now when nil. Tests pin it.
	Now func() time.Time
}

// DB is an open trialsync store. It is safe for concurrent use; writes are serialised by bbolt.
type DB struct {
	bolt      *bolt.DB
	path      string
	installID string
	keyring   Keyring
	key       []byte // audit key; nil when missing from the keyring
	fpKey     []byte // fingerprint key; nil only in a read-only open of a store made before it existed
	now       func() time.Time
	actor     string
	runID     string
	readOnly  bool
	unclean   bool     // the previous process did not close the store
	notices   []string // said once to the person, e.g. a file mode tightened
	chunk     int      // bytes per staged chunk when set (tests); stageChunk otherwise
	// behind is set when the store is shorter than, or diverges from, the keyring's checkpoint copy
	// (rolled back), or is not the store the keyring records at this path (replaced). Writes are
	// refused: they would overwrite the evidence in the keyring.
	behind   error
	replaced *Problem // set with behind when the store at this path is another one

	syncMu     sync.Mutex // serialises checkpoint copies to the keyring; taken before mu
	mu         sync.Mutex
	synced     time.Time   // last keyring checkpoint refresh
	pending    *checkpoint // committed but not yet copied to the keyring
	highest    uint64      // count of the newest checkpoint seen; older ones are never copied
	flushTimer *time.Timer // armed while a checkpoint copy is owed
	syncErr    error       // the last failed copy, reported by Close
	closed     bool

	closeOnce sync.Once
	closeErr  error
}

// Open opens the store at path, creating it (atomically) when it does not exist and the open is not
// ReadOnly. A second process gets ErrLocked after the lock timeout; a file that is not a trialsync
// store, is damaged or truncated, or comes from a newer schema is refused and left untouched. A file
// readable by other users is made private (0600) first, and Notices says so.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if opts.Keyring == nil {
		return nil, errors.New("store: no keyring given")
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = DefaultLockTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Actor == "" {
		opts.Actor = ActorAgent
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist) && opts.ReadOnly:
		return nil, missing(path, opts.Keyring)
	case errors.Is(err, os.ErrNotExist):
		if err := create(ctx, path, opts); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, fmt.Errorf("store %s: %w", path, err)
	case fi.IsDir():
		return nil, fmt.Errorf("store %s: is a directory", path)
	case fi.Size() == 0:
		return nil, fmt.Errorf("store %s: %w (empty file)", path, ErrNotStore)
	}
	return open(path, opts)
}

func open(path string, opts Options) (*DB, error) {
	was, mode, err := privateMode(path, os.Chmod)
	if err != nil {
		return nil, err
	}
	if !opts.ReadOnly && mode&0o200 == 0 && runtime.GOOS != "windows" {
		// Someone made the file read-only on purpose (a copy kept for audit): honour it, even for root.
		return nil, fmt.Errorf("store %s: %w (mode %04o); only reading commands (audit verify, audit list, audit export, export clinical) can use it", path, ErrReadOnly, mode)
	}
	if err := checkSize(path); err != nil {
		return nil, err
	}
	b, err := openBolt(path, opts.LockTimeout, opts.ReadOnly)
	if err != nil {
		return nil, err
	}
	db := &DB{bolt: b, path: path, keyring: opts.Keyring, now: opts.Now, actor: opts.Actor, runID: opts.RunID,
		readOnly: opts.ReadOnly}
	if mode != was {
		db.notices = append(db.notices, fmt.Sprintf("store %s was readable by other users (mode %04o); it is now private (%04o)", path, was, mode))
	}
	if err := db.load(); err != nil {
		b.Close()
		return nil, err
	}
	return db, nil
}

// openBolt opens the file, turning bbolt's lock timeout, format errors and panics into our errors.
func openBolt(path string, timeout time.Duration, readOnly bool) (db *bolt.DB, err error) {
	defer recoverDamage(path, &err)
	opts := boltOptions(timeout)
	opts.ReadOnly = readOnly
	db, err = bolt.Open(path, 0o600, opts)
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("store %s is %w", path, ErrLocked)
	case errors.Is(err, fs.ErrPermission) && !readOnly:
		return nil, fmt.Errorf("store %s: %w (%v); only reading commands (audit verify, audit list, audit export, export clinical) can use it", path, ErrReadOnly, err)
	case errors.As(err, new(*fs.PathError)): // permissions, I/O: say what the system said
		return nil, fmt.Errorf("store %s: %w", path, err)
	default: // bbolt's format checks (invalid, version, checksum, too small)
		return nil, fmt.Errorf("store %s: %w (%v)", path, ErrNotStore, err)
	}
}

// initialMmapSize reserves address space up front so that a growing file is not remapped (and every
// node re-copied) at each doubling; untouched pages cost no memory.
const initialMmapSize = 1 << 30

func boltOptions(timeout time.Duration) *bolt.Options {
	return &bolt.Options{Timeout: timeout, InitialMmapSize: initialMmapSize, FreelistType: bolt.FreelistMapType}
}

// load checks the file read-only first (so a refused file is never written), then fetches the keys and
// compares the store with what the keyring remembers, then (unless read-only) marks the store open and
// applies migrations in one transaction.
func (db *DB) load() error {
	var schema int
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		if schema, err = readSchema(tx); err != nil {
			return err
		}
		if schema > SchemaVersion {
			return fmt.Errorf("schema %d, this trialsync reads up to %d: %w; upgrade trialsync", schema, SchemaVersion, ErrNewerSchema)
		}
		meta := tx.Bucket(BucketMeta)
		id := meta.Get(metaInstallID)
		if len(id) == 0 {
			return fmt.Errorf("%w: no install ID", ErrNotStore)
		}
		db.installID = string(id)
		db.unclean = string(meta.Get(metaOpen)) == "1"
		return nil
	})
	if err != nil {
		return fmt.Errorf("store %s: %w", db.path, err)
	}
	if db.readOnly && schema < SchemaVersion {
		return fmt.Errorf("store %s: schema %d must be upgraded to %d first, which a read-only open cannot do; run trialsync status once", db.path, schema, SchemaVersion)
	}
	if db.unclean {
		if err := db.check(); err != nil {
			return err
		}
	}
	if err := db.loadKey(); err != nil {
		return err
	}
	if err := db.loadFingerprintKey(); err != nil {
		return err
	}
	if err := db.checkPath(); err != nil {
		return err
	}
	if err := db.checkAgainstKeyring(); err != nil {
		return err
	}
	if db.readOnly {
		return nil
	}
	return db.update(func(tx *bolt.Tx) error {
		if err := migrate(tx, migrations, SchemaVersion); err != nil {
			return fmt.Errorf("store %s: %w", db.path, err)
		}
		return tx.Bucket(BucketMeta).Put(metaOpen, []byte("1"))
	})
}

// check runs bbolt's consistency check, used after an unclean shutdown before the file is trusted.
func (db *DB) check() error {
	first, total, err := db.consistency(1)
	if err == nil && total > 0 {
		err = fmt.Errorf("%w: %d consistency errors, first: %s", ErrDamaged, total, first[0])
	}
	if err != nil {
		return fmt.Errorf("store %s: %w; restore it from a backup or move it aside", db.path, err)
	}
	return nil
}

// checkAgainstKeyring compares the store with the keyring's checkpoint copy before anything is
// written: a store that is shorter or whose entry at that count differs was rolled back or replaced,
// and stays readable (verify reports it) but refuses writes, which would otherwise move the keyring's
// copy onto the rolled-back chain and erase the evidence.
func (db *DB) checkAgainstKeyring() error {
	kc, ok, err := db.keyringCheckpoint()
	if err != nil || !ok {
		return err
	}
	db.highest = kc.Count
	if db.behind != nil {
		return nil // replaced: already refused
	}
	return db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(BucketAudit).Get(seqKey(kc.Count))
		_, sum, _, perr := storedParts(v)
		switch {
		case v == nil:
			db.behind = fmt.Errorf("store %s: rolled back or truncated: the keyring's checkpoint records %d audit entries and entry %d is missing; refusing to write (run trialsync audit verify)", db.path, kc.Count, kc.Count)
		case perr != nil || string(sum) != string(kc.Tip[:]):
			db.behind = fmt.Errorf("store %s: replaced: audit entry %d differs from the one the keyring's checkpoint recorded; refusing to write (run trialsync audit verify)", db.path, kc.Count)
		}
		return nil
	})
}

// Writable reports why the store must not be written to (opened read-only, audit key missing, rolled
// back or replaced), or nil. Callers that change something outside the store first (the keyring)
// check it beforehand, so that no change happens without its audit entry.
func (db *DB) Writable() error {
	switch {
	case db.readOnly:
		return fmt.Errorf("store %s: %w", db.path, ErrReadOnly)
	case db.key == nil:
		return fmt.Errorf("store %s: %w; entries cannot be written", db.path, ErrAuditKeyMissing)
	}
	return db.behind
}

func (db *DB) keyName() string        { return "audit." + db.installID + ".key" }
func (db *DB) checkpointName() string { return "audit." + db.installID + checkpointSuffix }

// loadKey fetches the audit key. Only "not found" leaves the store usable (for reading, and for
// verify to report KeyMissing); any other keyring failure fails closed.
func (db *DB) loadKey() error {
	v, err := db.keyring.Get(db.keyName())
	switch {
	case errors.Is(err, ErrSecretNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("store %s: audit key: %w", db.path, err)
	}
	key, err := hex.DecodeString(v)
	if err != nil || len(key) != 32 {
		return fmt.Errorf("store %s: audit key in the keyring is malformed", db.path)
	}
	db.key = key
	return nil
}

// Path is the store file's path.
func (db *DB) Path() string { return db.path }

// InstallID names this store; its keyring entries carry it.
func (db *DB) InstallID() string { return db.installID }

// Unclean reports whether the previous process using the store did not close it.
func (db *DB) Unclean() bool { return db.unclean }

// ReadOnly reports whether the store was opened with Options.ReadOnly.
func (db *DB) ReadOnly() bool { return db.readOnly }

// Notices returns what Open changed or noticed that a person should be told once (a file mode
// tightened); the caller logs or prints them.
func (db *DB) Notices() []string { return db.notices }

// Close marks a clean shutdown, copies the latest checkpoint to the keyring and closes the file.
// Calling it again returns the first result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.mu.Lock()
		db.closed = true // no flush is scheduled from here on
		if db.flushTimer != nil {
			db.flushTimer.Stop()
			db.flushTimer = nil
		}
		db.mu.Unlock()
		var err error
		if !db.readOnly {
			err = db.update(func(tx *bolt.Tx) error {
				return tx.Bucket(BucketMeta).Put(metaOpen, []byte("0"))
			})
		}
		if kerr := db.flush(); err == nil { // waits for a timed copy in flight, then copies the last
			err = kerr
		}
		if cerr := db.bolt.Close(); err == nil {
			err = cerr
		}
		db.closeErr = err
	})
	return db.closeErr
}
