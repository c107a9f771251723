package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/trialsync/trialsync/store"
)

// AuditFilter selects audit entries for the Audit screen: every field set must match; the zero value
// selects everything.
type AuditFilter struct {
	Action string    // exactly this action ("creds.set")
	Actor  string    // the actor contains this, case-blind
	Object string    // the object contains this, case-blind
	From   time.Time // at or after (zero: no bound)
	To     time.Time // before (zero: no bound)
}

// Empty reports whether f selects everything.
func (f AuditFilter) Empty() bool { return f == AuditFilter{} }

// Match reports whether e is selected. A damaged entry always is: nothing in it can be trusted to
// exclude it.
func (f AuditFilter) Match(e store.Entry) bool {
	if e.Damage != "" {
		return true
	}
	switch {
	case f.Action != "" && e.Action != f.Action:
		return false
	case f.Actor != "" && !containsFold(e.Actor, f.Actor):
		return false
	case f.Object != "" && !containsFold(e.Object, f.Object):
		return false
	case !f.From.IsZero() && e.Time.Before(f.From):
		return false
	case !f.To.IsZero() && !e.Time.Before(f.To):
		return false
	}
	return true
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// SearchAudit returns the newest limit entries that f selects, oldest first, and how many entries
// matched in all. It walks the whole ledger once (about a second for a million entries), so call it
// off the GUI's goroutine.
func (a *Agent) SearchAudit(ctx context.Context, f AuditFilter, limit int) ([]store.Entry, int, error) {
	db, err := a.ReadStore(ctx)
	if err != nil {
		return nil, 0, err
	}
	ring := make([]store.Entry, 0, limit)
	matched := 0
	err = db.WalkEntries(ctx, 0, func(e store.Entry) error {
		if !f.Match(e) {
			return nil
		}
		matched++
		if len(ring) < limit {
			ring = append(ring, e)
		} else if limit > 0 {
			copy(ring, ring[1:])
			ring[limit-1] = e
		}
		return nil
	})
	return ring, matched, err
}

// AuditActions are the actions the ledger records, for the Audit screen's filter.
func AuditActions() []string { return store.Actions() }

// ExportAuditFile exports the audit trail (as `trialsync audit export` does) to path: written to a
// temporary file beside it and renamed into place, so that a failed export never leaves a file that
// looks complete, then recorded in the audit trail. It returns the checkpoint and the entries written.
// A read-only store's export stands, unrecorded: the error then matches store.ErrReadOnly.
func (a *Agent) ExportAuditFile(ctx context.Context, path string) (store.Checkpoint, int, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".partial-*")
	if err != nil {
		return store.Checkpoint{}, 0, fmt.Errorf("audit export: %w", err)
	}
	defer os.Remove(tmp.Name())
	cp, n, err := a.ExportAudit(ctx, tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return cp, n, fmt.Errorf("audit export to %s: %w", path, err)
	}
	if err := a.RecordExport(ctx, cp, path); err != nil {
		if errors.Is(err, store.ErrReadOnly) {
			return cp, n, err
		}
		return cp, n, fmt.Errorf("audit export to %s: written, but not recorded in the audit trail: %w", path, err)
	}
	a.log.Info().Str("file", path).Int("entries", n).Msg("audit exported")
	return cp, n, nil
}
