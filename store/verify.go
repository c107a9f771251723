package store

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// progressEvery is how many entries Verify walks between progress reports and context checks.
const progressEvery = 1 << 14

// damageShown is how many of the consistency check's findings a Report keeps.
const damageShown = 10

// Verify walks the ledger once and reports the first bad entry and why: content changed, link broken,
// entry missing, order changed, tail truncated, checkpoint or entry MAC mismatch, key missing, or
// rolled back against the keyring's checkpoint copy; a store that is not the one the keyring records
// at its path is reported replaced before anything else. Then it runs bbolt's consistency check over
// the whole file, so that damage outside the ledger (a zeroed page of clinical data) is found here and
// not half-way through an export. progress (may be nil) receives (done, total) every few thousand
// entries; total is the count the checkpoint recorded.
//
// The error is non-nil only when verification could not run (cancelled, keyring unreachable); a
// ledger that fails verification is a Report with a Problem.
func (db *DB) Verify(ctx context.Context, progress func(done, total uint64)) (Report, error) {
	rep, err := db.verifyLedger(ctx, progress)
	if err != nil {
		return rep, err
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	rep.Damage, rep.DamageCount, err = db.consistency(damageShown)
	if err != nil { // bbolt panicked or faulted reading the file: that is the finding
		rep.Damage, rep.DamageCount = []string{err.Error()}, 1
	}
	if rep.DamageCount > 0 && rep.Problem == nil {
		rep.Problem = &Problem{Kind: StoreDamaged, Detail: fmt.Sprintf(
			"the store file's consistency check found %d problem(s), first: %s; the audit trail verified, other data may be lost: restore the store from a backup",
			rep.DamageCount, rep.Damage[0])}
	}
	return rep, nil
}

func (db *DB) verifyLedger(ctx context.Context, progress func(done, total uint64)) (Report, error) {
	var rep Report
	if db.replaced != nil {
		rep.Problem = db.replaced
		return rep, nil
	}
	if db.key == nil {
		rep.Problem = &Problem{Seq: 1, Kind: KeyMissing,
			Detail: "the audit key " + db.keyName() + " is not in the OS keyring, so no entry can be authenticated"}
		return rep, nil
	}
	kc, haveKC, err := db.keyringCheckpoint()
	if err != nil {
		return rep, err
	}
	err = db.view(func(btx *bolt.Tx) error {
		var stored *checkpoint
		if v := btx.Bucket(BucketMeta).Get(metaCheckpoint); v != nil {
			cp, err := unmarshalCheckpoint(v)
			if err != nil {
				stored = &checkpoint{} // present but malformed: fails the MAC check below
			} else {
				stored = &cp
			}
		}
		var total uint64
		if stored != nil {
			total = stored.Count
		}
		w := walker{mac: newSealer(db.key), kcSeq: kc.Count}
		if !haveKC {
			w.kcSeq = 0
		}
		c := btx.Bucket(BucketAudit).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if p := w.step(k, v); p != nil {
				rep.Problem = p
				break
			}
			if w.count%progressEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
				if progress != nil {
					progress(w.count, max(total, w.count))
				}
			}
		}
		rep.Entries, rep.Tip = w.count, w.prev
		if progress != nil {
			progress(w.count, max(total, w.count))
		}
		if rep.Problem == nil {
			rep.Problem = w.checkEnd(db.key, stored)
		}
		if rep.Problem == nil && haveKC {
			rep.Problem = w.checkKeyring(kc)
		}
		return nil
	})
	return rep, err
}

// keyringCheckpoint reads the checkpoint copy kept in the keyring. Missing is not an error (a store
// whose first copy was never written); any other keyring failure is.
func (db *DB) keyringCheckpoint() (checkpoint, bool, error) {
	v, err := db.keyring.Get(db.checkpointName())
	if errors.Is(err, ErrSecretNotFound) {
		return checkpoint{}, false, nil
	}
	if err != nil {
		return checkpoint{}, false, fmt.Errorf("store %s: reading the audit checkpoint: %w", db.path, err)
	}
	cp, err := parseCheckpointText(v)
	if err != nil {
		return checkpoint{}, false, fmt.Errorf("store %s: %w", db.path, err)
	}
	return cp, true, nil
}

// walker checks one entry at a time against the one before.
type walker struct {
	mac    *sealer
	count  uint64   // entries accepted so far
	prev   [32]byte // hash of the last accepted entry
	kcSeq  uint64   // the keyring checkpoint's count: remember that entry's hash
	kcHash [32]byte
	macBuf [32]byte
}

func (w *walker) step(k, v []byte) *Problem {
	want := w.count + 1
	if len(k) != 8 {
		return &Problem{Seq: want, Kind: Undecodable, Detail: fmt.Sprintf("key of %d bytes where a sequence number belongs", len(k))}
	}
	seq := binary.BigEndian.Uint64(k)
	if seq != want {
		return &Problem{Seq: want, Kind: EntryMissing, Detail: fmt.Sprintf("next entry found is %d", seq)}
	}
	canon, sum, mac, err := storedParts(v)
	if err != nil {
		return &Problem{Seq: seq, Kind: Undecodable, Detail: err.Error()}
	}
	if got := canonicalSeq(canon); got != seq {
		return &Problem{Seq: seq, Kind: OrderChanged, Detail: fmt.Sprintf("position %d holds entry %d", seq, got)}
	}
	h := sha256.Sum256(canon)
	if !bytes.Equal(h[:], sum) {
		return &Problem{Seq: seq, Kind: ContentChanged, Detail: "its bytes no longer match its hash"}
	}
	if !bytes.Equal(canonicalPrev(canon), w.prev[:]) {
		return &Problem{Seq: seq, Kind: LinkBroken, Detail: "its previous-hash is not the hash of the entry before"}
	}
	if !hmac.Equal(w.mac.macOf(sum, w.macBuf[:0]), mac) {
		return &Problem{Seq: seq, Kind: CheckpointInvalid, Detail: "its MAC does not verify with the audit key: the chain was rewritten without the key"}
	}
	copy(w.prev[:], sum)
	w.count = seq
	if seq == w.kcSeq {
		w.kcHash = w.prev
	}
	return nil
}

// checkEnd compares the walked chain with the keyed checkpoint in meta.
func (w *walker) checkEnd(key []byte, cp *checkpoint) *Problem {
	if w.count == 0 {
		return &Problem{Seq: 1, Kind: EntryMissing, Detail: "the ledger is empty, yet every store begins with store.created"}
	}
	if cp == nil {
		return &Problem{Seq: w.count, Kind: CheckpointInvalid, Detail: "the store's checkpoint is missing"}
	}
	if !cp.valid(key) {
		return &Problem{Seq: max(w.count, 1), Kind: CheckpointInvalid, Detail: "the store's checkpoint does not verify with the audit key"}
	}
	switch {
	case cp.Count > w.count:
		return &Problem{Seq: w.count + 1, Kind: TailTruncated,
			Detail: fmt.Sprintf("the checkpoint records %d entries, the store holds %d", cp.Count, w.count)}
	case cp.Count < w.count:
		return &Problem{Seq: cp.Count + 1, Kind: CheckpointInvalid,
			Detail: fmt.Sprintf("entries after %d are not covered by the checkpoint", cp.Count)}
	case cp.Tip != w.prev:
		return &Problem{Seq: w.count, Kind: CheckpointInvalid, Detail: "the checkpoint's tip is not this entry's hash"}
	}
	return nil
}

// checkKeyring compares the chain with the copy of the checkpoint kept in the keyring: a store that is
// shorter, or whose entry at that count differs, was rolled back or replaced.
func (w *walker) checkKeyring(kc checkpoint) *Problem {
	switch {
	case kc.Count > w.count:
		return &Problem{Seq: w.count + 1, Kind: TailTruncated,
			Detail: fmt.Sprintf("the keyring's checkpoint records %d entries, the store holds %d: rolled back or truncated", kc.Count, w.count)}
	case kc.Count > 0 && kc.Tip != w.kcHash:
		return &Problem{Seq: kc.Count, Kind: RolledBack,
			Detail: "this entry differs from the one the keyring's checkpoint recorded: the store was replaced"}
	}
	return nil
}
