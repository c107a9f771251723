package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// DefaultLockTimeout is how long Open waits for another process to release the store before
// reporting ErrLocked.
const DefaultLockTimeout = time.Second

// keyringSyncInterval bounds how often the keyring's checkpoint copy is refreshed after commits.
const keyringSyncInterval = time.Second

// Options configure Open.
type Options struct {
	// Keyring holds the audit key and checkpoint copy. Required.
	Keyring Keyring
	// LockTimeout is how long to wait for another instance; DefaultLockTimeout when zero.
	LockTimeout time.Duration
	// Actor and RunID are recorded on the store.created entry; Actor is "agent" when empty.
	Actor string
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
	now       func() time.Time
	unclean   bool // the previous process did not close the store
	// behind is set when the store is shorter than, or diverges from, the keyring's checkpoint copy:
	// rolled back or replaced. Writes are refused (they would overwrite the evidence in the keyring).
	behind error

	mu       sync.Mutex
	synced   time.Time   // last keyring checkpoint refresh
	pending  *checkpoint // committed but not yet copied to the keyring
	highest  uint64      // count of the newest checkpoint seen; older ones are never copied
	closed   bool
	closeErr error
}

// Open opens the store at path, creating it (atomically) when it does not exist. A second process
// gets ErrLocked after the lock timeout; a file that is not a trialsync store, is damaged, or comes
// from a newer schema is refused and left untouched.
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
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	switch {
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

// openBolt opens the file, turning bbolt's lock timeout, format errors and panics into our errors.
func openBolt(path string, timeout time.Duration) (db *bolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("store %s: %w: %v; restore it from a backup or move it aside", path, ErrDamaged, r)
		}
	}()
	db, err = bolt.Open(path, 0o600, boltOptions(timeout))
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("store %s is %w", path, ErrLocked)
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

func open(path string, opts Options) (*DB, error) {
	b, err := openBolt(path, opts.LockTimeout)
	if err != nil {
		return nil, err
	}
	db := &DB{bolt: b, path: path, keyring: opts.Keyring, now: opts.Now}
	if err := db.load(); err != nil {
		b.Close()
		return nil, err
	}
	return db, nil
}

// load checks the file read-only first (so a refused file is never written), then fetches the audit
// key, then marks the store open and applies migrations in one transaction.
func (db *DB) load() error {
	err := db.view(func(tx *bolt.Tx) error {
		schema, err := readSchema(tx)
		if err != nil {
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
	if db.unclean {
		if err := db.check(); err != nil {
			return err
		}
	}
	if err := db.loadKey(); err != nil {
		return err
	}
	if err := db.checkAgainstKeyring(); err != nil {
		return err
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		if err := migrate(tx, migrations, SchemaVersion); err != nil {
			return fmt.Errorf("store %s: %w", db.path, err)
		}
		return tx.Bucket(BucketMeta).Put(metaOpen, []byte("1"))
	})
}

// view runs fn with bbolt panics (seen on some corrupt pages) turned into ErrDamaged.
func (db *DB) view(fn func(*bolt.Tx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrDamaged, r)
		}
	}()
	return db.bolt.View(fn)
}

// check runs bbolt's consistency check, used after an unclean shutdown before the file is trusted.
func (db *DB) check() error {
	var problems []error
	err := db.view(func(tx *bolt.Tx) error {
		for e := range tx.Check() {
			problems = append(problems, e)
		}
		return nil
	})
	if err == nil && len(problems) > 0 {
		err = fmt.Errorf("%w: %d consistency errors, first: %v", ErrDamaged, len(problems), problems[0])
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

// Writable reports why the store must not be written to (audit key missing, rolled back), or nil.
// Callers that change something outside the store first (the keyring) check it beforehand, so that
// no change happens without its audit entry.
func (db *DB) Writable() error {
	if db.key == nil {
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

// create builds a new store under a temporary name and links it into place only when complete, so a
// crash during creation never leaves a half-made store that later opens as empty.
func create(ctx context.Context, path string, opts Options) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store %s: %w", path, err)
	}
	tmp := fmt.Sprintf("%s.creating-%d", path, os.Getpid())
	_ = os.Remove(tmp) // left by an earlier crash of this same PID number
	b, err := bolt.Open(tmp, 0o600, boltOptions(opts.LockTimeout))
	if err != nil {
		return fmt.Errorf("store %s: creating: %w", path, err)
	}
	defer os.Remove(tmp)
	db := &DB{bolt: b, path: tmp, keyring: opts.Keyring, now: opts.Now, installID: randomHex(8)}
	// The keyring remembers which store lives at this path, so a store deleted and made anew is
	// recorded in the new one's first entry rather than passing unnoticed.
	pathName := pathEntryName(path)
	replaced, err := opts.Keyring.Get(pathName)
	if err != nil && !errors.Is(err, ErrSecretNotFound) {
		b.Close()
		return fmt.Errorf("store %s: %w", path, err)
	}
	reason := "new store"
	if replaced != "" {
		reason = "new store at the path of store " + replaced + ", which is missing: deleted or moved"
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		b.Close()
		return err
	}
	if err := opts.Keyring.Set(db.keyName(), hex.EncodeToString(key)); err != nil {
		b.Close()
		return fmt.Errorf("store %s: storing the new audit key: %w", path, err)
	}
	db.key = key
	actor := opts.Actor
	if actor == "" {
		actor = "agent"
	}
	err = b.Update(func(btx *bolt.Tx) error {
		meta, err := btx.CreateBucket(BucketMeta)
		if err != nil {
			return err
		}
		if err := writeSchema(btx, SchemaVersion); err != nil {
			return err
		}
		if err := meta.Put(metaInstallID, []byte(db.installID)); err != nil {
			return err
		}
		if err := meta.Put(metaCreated, []byte(opts.Now().UTC().Format(time.RFC3339))); err != nil {
			return err
		}
		if err := migrate(btx, nil, SchemaVersion); err != nil {
			return err
		}
		tx := &Tx{btx: btx, db: db}
		if _, err := tx.Append(Entry{Actor: actor, Action: ActionStoreCreated, Object: db.installID, RunID: opts.RunID,
			Old: replaced, Reason: reason}); err != nil {
			return err
		}
		cp, err := tx.finish()
		db.pending = cp
		return err
	})
	if cerr := b.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncFile(tmp)
	}
	if err == nil {
		err = os.Link(tmp, path) // fails if another process created the store meanwhile
		if errors.Is(err, os.ErrExist) {
			_ = opts.Keyring.Delete(db.keyName())
			return nil
		}
	}
	if err != nil {
		_ = opts.Keyring.Delete(db.keyName())
		return fmt.Errorf("store %s: creating: %w", path, err)
	}
	if db.pending != nil {
		_ = opts.Keyring.Set(db.checkpointName(), db.pending.text())
	}
	if err := opts.Keyring.Set(pathName, db.installID); err != nil {
		return fmt.Errorf("store %s: %w", path, err)
	}
	return syncDir(dir)
}

// pathEntryName is the keyring entry naming the store at path (by install ID): public, not a secret.
func pathEntryName(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	sum := sha256.Sum256([]byte(path))
	return "audit.path." + hex.EncodeToString(sum[:8])
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

// Path is the store file's path.
func (db *DB) Path() string { return db.path }

// InstallID names this store; its keyring entries carry it.
func (db *DB) InstallID() string { return db.installID }

// Unclean reports whether the previous process using the store did not close it.
func (db *DB) Unclean() bool { return db.unclean }

// Close marks a clean shutdown, copies the latest checkpoint to the keyring and closes the file.
// Calling it again returns the first result.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return db.closeErr
	}
	db.closed = true
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(BucketMeta).Put(metaOpen, []byte("0"))
	})
	if kerr := db.syncKeyringLocked(); err == nil {
		err = kerr
	}
	if cerr := db.bolt.Close(); err == nil {
		err = cerr
	}
	db.closeErr = err
	return err
}
