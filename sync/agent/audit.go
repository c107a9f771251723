package agent

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/trialsync/trialsync/store"
)

// AuditEntries returns up to limit entries with Seq > after, oldest first.
func (a *Agent) AuditEntries(ctx context.Context, after uint64, limit int) ([]store.Entry, error) {
	db, err := a.ReadStore(ctx)
	if err != nil {
		return nil, err
	}
	return db.Entries(ctx, after, limit)
}

// VerifyAudit walks the whole ledger for the person at the keyboard; see store.DB.Verify and
// Agent.verify. The CLI's `audit verify` and the GUI's Verify button both call it. A store that is
// gone while the keyring remembers it is a finding (a Report with a StoreMissing problem), not a
// failure to run; verify never creates a store.
func (a *Agent) VerifyAudit(ctx context.Context, progress func(done, total uint64)) (store.Report, error) {
	return a.verify(ctx, progress, a.actor)
}

// AuditRecord is the export and `audit list --format jsonl` form of an entry.
type AuditRecord struct {
	Seq           uint64    `json:"seq"`
	Time          time.Time `json:"time"`
	RunID         string    `json:"run_id"`
	CorrelationID string    `json:"correlation_id"`
	Actor         string    `json:"actor"`
	Action        string    `json:"action"`
	Object        string    `json:"object"`
	Old           string    `json:"old"`
	New           string    `json:"new"`
	Reason        string    `json:"reason"`
	PayloadHash   string    `json:"payload_hash"`
	Prev          string    `json:"prev"`
	Hash          string    `json:"hash"`
	Damage        string    `json:"damage,omitempty"` // set when the stored entry cannot be decoded
}

// NewAuditRecord converts a stored entry to its exported form.
func NewAuditRecord(e store.Entry) AuditRecord {
	return AuditRecord{
		Seq: e.Seq, Time: e.Time, RunID: e.RunID, CorrelationID: e.CorrelationID, Actor: e.Actor,
		Action: e.Action, Object: e.Object, Old: e.Old, New: e.New, Reason: e.Reason,
		PayloadHash: e.PayloadHash, Prev: hex.EncodeToString(e.Prev[:]), Hash: e.HashHex(), Damage: e.Damage,
	}
}

// ExportTrailer is the last line of an export: the keyed checkpoint to anchor outside the machine.
type ExportTrailer struct {
	Checkpoint store.Checkpoint `json:"checkpoint"`
	InstallID  string           `json:"install_id"`
	Exported   time.Time        `json:"exported"`
}

// WalkAudit calls fn for each entry at or after since (zero: all), oldest first.
func (a *Agent) WalkAudit(ctx context.Context, since time.Time, fn func(store.Entry) error) error {
	db, err := a.ReadStore(ctx)
	if err != nil {
		return err
	}
	return db.WalkEntries(ctx, 0, func(e store.Entry) error {
		if e.Damage == "" && e.Time.Before(since) {
			return nil // a damaged entry has no trustworthy time: always shown
		}
		return fn(e)
	})
}

// ExportAudit writes every entry as JSON Lines followed by the checkpoint, and returns the checkpoint.
// The checkpoint is read first, so that entries appended during the export are written but not
// covered by it (a verifier stops at its count). Call RecordExport once the file is safely in place.
func (a *Agent) ExportAudit(ctx context.Context, w io.Writer) (store.Checkpoint, int, error) {
	db, err := a.ReadStore(ctx)
	if err != nil {
		return store.Checkpoint{}, 0, err
	}
	cp, err := db.Checkpoint(ctx)
	if err != nil {
		return cp, 0, err
	}
	enc := json.NewEncoder(w)
	n := 0
	err = db.WalkEntries(ctx, 0, func(e store.Entry) error {
		n++
		return enc.Encode(NewAuditRecord(e))
	})
	if err != nil {
		return cp, n, fmt.Errorf("audit export: %w", err)
	}
	return cp, n, enc.Encode(ExportTrailer{Checkpoint: cp, InstallID: db.InstallID(), Exported: time.Now().UTC()})
}

// RecordExport records a completed export in the audit trail. A store that cannot be written (a
// read-only copy) gives an error matching store.ErrReadOnly: the export stands, unrecorded.
func (a *Agent) RecordExport(ctx context.Context, cp store.Checkpoint, file string) error {
	_, err := a.Record(ctx, store.Entry{Action: store.ActionAuditExported, Object: file,
		New: fmt.Sprintf("%d entries, tip %s", cp.Count, cp.Tip), Reason: "audit export"})
	return err
}
