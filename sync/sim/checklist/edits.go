package checklist

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/trialsync/trialsync/sync/sim"
)

// Edit is one change a user of the system makes by hand, for tests and the demo: it sets fields of an
// item (creating it if needed) or deletes the item.
type Edit struct {
	// Op is "set" (the default) or "delete".
	Op string `json:"op,omitempty"`
	// Site and Code name the item.
	Site string `json:"site"`
	Code string `json:"code"`
	// User is who edits (the item's editor afterwards; default the system's first seeded editor).
	User string `json:"user,omitempty"`
	// Fields are the values to set, under the system's own field names and in its own words, e.g.
	// {"status":"APPROVED","documentId":"DOC-7"} for the EDC. Setting the update-time field sets the
	// update time; otherwise it becomes now.
	Fields map[string]json.RawMessage `json:"fields,omitempty"`
	// Raw stores the values verbatim instead of checking them, to plant mapping defects: an unknown
	// status ({"status":"WITHDRAWN"}), a timestamp without a zone ({"updatedAt":"2025-03-01T10:15:00"}),
	// a value of the wrong type. Field names must still be the system's; site and code are never raw.
	Raw bool `json:"raw,omitempty"`
}

// Errors of Edit.
var (
	// ErrNoItem is an edit of an item that does not exist (a delete, or a set without a status).
	ErrNoItem = errors.New("no such item")
	// ErrBadEdit is an edit the system would not accept.
	ErrBadEdit = errors.New("edit refused")
)

// Edit applies edits in order, all or none: the first edit that cannot be made is returned (wrapping
// ErrNoItem or ErrBadEdit, naming the edit) and nothing is changed.
func (s *Server) Edit(edits ...Edit) error {
	type planned struct {
		e     Edit
		key   string
		p     patch
		isNew bool
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exists := map[string]bool{} // the effect of earlier edits of this call on existence
	has := func(key string) bool {
		if v, ok := exists[key]; ok {
			return v
		}
		return s.byKey[key] != nil
	}
	plan := make([]planned, 0, len(edits))
	now := s.now()
	for i, e := range edits {
		where := fmt.Sprintf("edit %d (%s/%s)", i+1, e.Site, e.Code)
		key := itemKey(e.Site, e.Code)
		switch e.Op {
		case "delete":
			if !has(key) {
				return refused(ErrNoItem, "%s: there is no such item", where)
			}
			exists[key] = false
			plan = append(plan, planned{e: e, key: key})
			continue
		case "", "set":
		default:
			return refused(ErrBadEdit, "%s: op %q is not set or delete", where, e.Op)
		}
		if !s.sites[e.Site] {
			return refused(ErrBadEdit, "%s: there is no site %q", where, e.Site)
		}
		if e.Code == "" {
			return refused(ErrBadEdit, "%s: the item code is empty", where)
		}
		p, err := s.sc.parseFields(e.Fields, e.Site, e.Code, e.Raw)
		if err != nil {
			return refused(ErrBadEdit, "%s: %v", where, err)
		}
		isNew := !has(key)
		if isNew && !p.set[fStatus] {
			return refused(ErrNoItem, "%s: there is no such item, and a new one needs a %s", where, s.sc.names[fStatus])
		}
		if !p.set[fUpdated] {
			p.set[fUpdated], p.updated = true, now
		}
		if !p.set[fEditor] {
			p.set[fEditor], p.editor = true, e.User
			if e.User == "" {
				p.editor = s.sc.editors[0]
			}
		}
		exists[key] = true
		plan = append(plan, planned{e: e, key: key, p: p, isNew: isNew})
	}
	for _, pl := range plan {
		if pl.e.Op == "delete" {
			s.deleteLocked(pl.key)
			s.counts.Add("delete")
			continue
		}
		it := s.byKey[pl.key]
		if it == nil {
			it = &item{key: pl.key, site: pl.e.Site, code: pl.e.Code, signed: -1}
			if s.opts.System == CTMS {
				it.signed = 0
			}
			s.insertLocked(it)
		}
		pl.p.apply(it)
		s.counts.Add("edit")
	}
	return nil
}

// editError is a refused edit: its message names the edit, and it wraps ErrNoItem or ErrBadEdit.
type editError struct {
	kind error
	msg  string
}

func (e *editError) Error() string { return e.msg }
func (e *editError) Unwrap() error { return e.kind }

func refused(kind error, format string, args ...any) error {
	return &editError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// maxEditsBody bounds POST /sim/edits: room for a few thousand edits.
const maxEditsBody = 4 << 20

// handleEdits is POST /sim/edits {"edits":[…]}: 200 {"applied":N}, or a 400 (404 for a missing item)
// naming the edit that could not be made, with nothing applied.
func (s *Server) handleEdits(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Edits []Edit `json:"edits"`
	}
	if err := sim.ReadJSON(r, maxEditsBody, &body); err != nil {
		problem(w, s.counts, http.StatusBadRequest, "Bad request", "The "+err.Error()+".")
		return
	}
	if err := s.Edit(body.Edits...); err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, ErrNoItem) {
			status = http.StatusNotFound
		}
		problem(w, s.counts, status, "Edit refused", err.Error()+".")
		return
	}
	sim.WriteJSON(w, http.StatusOK, map[string]int{"applied": len(body.Edits)})
}

// handleDelete is DELETE /sim/items/{site}/{code}: 204, or 404 when there is no such item.
func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	err := s.Edit(Edit{Op: "delete", Site: r.PathValue("site"), Code: r.PathValue("code")})
	if err != nil {
		problem(w, s.counts, http.StatusNotFound, "Item not found", err.Error()+".")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
