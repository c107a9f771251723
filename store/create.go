package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

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
	dropKeys := func() {
		_ = opts.Keyring.Delete(db.keyName())
		_ = opts.Keyring.Delete(db.fingerprintKeyName())
	}
	if db.key, err = newKey(opts.Keyring, db.keyName()); err != nil {
		b.Close()
		return fmt.Errorf("store %s: storing the new audit key: %w", path, err)
	}
	if db.fpKey, err = newKey(opts.Keyring, db.fingerprintKeyName()); err != nil {
		b.Close()
		dropKeys()
		return fmt.Errorf("store %s: storing the new fingerprint key: %w", path, err)
	}
	var cp *checkpoint
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
		tx := &Tx{btx: btx, db: db, actor: opts.Actor, runID: opts.RunID}
		if _, err := tx.Append(Entry{Action: ActionStoreCreated, Object: db.installID, Old: replaced, Reason: reason}); err != nil {
			return err
		}
		cp, err = tx.finish()
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
			dropKeys()
			return nil
		}
	}
	if err != nil {
		dropKeys()
		return fmt.Errorf("store %s: creating: %w", path, err)
	}
	if cp != nil {
		_ = opts.Keyring.Set(db.checkpointName(), cp.text())
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

// missing explains why a read-only open found no file: a store the keyring remembers at this path was
// deleted or moved (a *Problem, which verify reports as such), or there never was one.
func missing(path string, kr Keyring) error {
	id, err := kr.Get(pathEntryName(path))
	switch {
	case errors.Is(err, ErrSecretNotFound):
		return fmt.Errorf("store %s: %w", path, ErrNoStore)
	case err != nil:
		return fmt.Errorf("store %s: %w", path, err)
	}
	held := ""
	if v, err := kr.Get("audit." + id + checkpointSuffix); err == nil {
		if cp, err := parseCheckpointText(v); err == nil {
			held = fmt.Sprintf(", which held %d audit entries", cp.Count)
		}
	}
	return &Problem{Kind: StoreMissing, Detail: fmt.Sprintf("the keyring records store %s at %s%s, and the file is gone: deleted or moved; put it back, or let a command that records something start a new store, whose first entry will name the missing one",
		id, path, held)}
}

// checkPath compares this store with the one the keyring records at its path. Another store there
// means the file was replaced by a copy of a different store: readable, reported by verify, never
// written. A store without a record (opened at a new path, or made by a process that died before
// recording it) is recorded when opened for writing.
func (db *DB) checkPath() error {
	name := pathEntryName(db.path)
	id, err := db.keyring.Get(name)
	switch {
	case errors.Is(err, ErrSecretNotFound):
		id = ""
	case err != nil:
		return fmt.Errorf("store %s: %w", db.path, err)
	}
	if id != "" && id != db.installID && !db.succeeds(id) {
		db.replaced = &Problem{Kind: StoreReplaced, Detail: fmt.Sprintf("the keyring records store %s at %s, and this file is store %s: the store was replaced by another one",
			id, db.path, db.installID)}
		db.behind = fmt.Errorf("store %s: replaced: the keyring records store %s here, this file is store %s; refusing to write (run trialsync audit verify)",
			db.path, id, db.installID)
		return nil
	}
	if id != db.installID && !db.readOnly {
		if err := db.keyring.Set(name, db.installID); err != nil {
			return fmt.Errorf("store %s: %w", db.path, err)
		}
	}
	return nil
}

// succeeds reports whether this store's first entry names store id as the missing store it replaced:
// the process that created it died before it could record the new store's path in the keyring.
func (db *DB) succeeds(id string) bool {
	ok := false
	_ = db.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(BucketAudit).Get(seqKey(1)); v != nil {
			e, err := decodeEntry(v)
			ok = err == nil && e.Action == ActionStoreCreated && e.Old == id
		}
		return nil
	})
	return ok
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
