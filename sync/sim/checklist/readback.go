package checklist

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/trialsync/trialsync/sync/sim/seed"
)

// ErrUnmapped is a readback of an item whose values a raw edit left outside the system's own rules
// (an unknown status, a naive timestamp, a value of the wrong type).
var ErrUnmapped = errors.New("item holds a value outside the system's rules")

// Key names an item.
type Key struct{ Site, Code string }

// Canonical is an item read back in canonical terms, for tests comparing the two systems.
type Canonical struct {
	Site, Code, Version string
	// Values are canonical; MilestoneSignedOff is false in the EDC, which does not hold it.
	seed.ChecklistValues
	Updated time.Time
	Editor  string
}

// Len returns how many items the system holds.
func (s *Server) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.order)
}

// Keys returns every item's key in the listing's order.
func (s *Server) Keys() []Key {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Key, len(s.order))
	for i, it := range s.order {
		out[i] = Key{it.site, it.code}
	}
	return out
}

// Item returns an item exactly as the listing serves it.
func (s *Server) Item(site, code string) (json.RawMessage, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	it := s.byKey[itemKey(site, code)]
	if it == nil {
		return nil, false
	}
	return s.sc.appendItem(nil, it), true
}

// Canonical returns an item in canonical terms; ErrNoItem when there is none, ErrUnmapped when a raw
// edit left it unreadable.
func (s *Server) Canonical(site, code string) (Canonical, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	it := s.byKey[itemKey(site, code)]
	if it == nil {
		return Canonical{}, fmt.Errorf("%s item %s/%s: %w", s.sc.sys.Label(), site, code, ErrNoItem)
	}
	if len(it.raw) > 0 {
		return Canonical{}, fmt.Errorf("%s item %s/%s: %w", s.sc.sys.Label(), site, code, ErrUnmapped)
	}
	return Canonical{
		Site: it.site, Code: it.code, Version: it.version,
		ChecklistValues: seed.ChecklistValues{
			Status: s.sc.canonical(it.status), EvidenceDocID: it.document, PlannedActivationDate: it.planned,
			MilestoneSignedOff: it.signed == 1,
		},
		Updated: it.updated, Editor: it.editor,
	}, nil
}

// handleReadback is GET /sim/items: every item ({"items":[…]}), or with site and code one item (404
// when there is none).
func (s *Server) handleReadback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Has("site") || q.Has("code") {
		b, ok := s.Item(q.Get("site"), q.Get("code"))
		if !ok {
			problem(w, s.counts, http.StatusNotFound, "Item not found", "There is no item "+q.Get("site")+"/"+q.Get("code")+".")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(append(b, '\n'))
		return
	}
	s.mu.RLock()
	buf := append(make([]byte, 0, 64+len(s.order)*240), `{"items":[`...)
	for i, it := range s.order {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = s.sc.appendItem(buf, it)
	}
	s.mu.RUnlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(buf, "]}\n"...))
}
