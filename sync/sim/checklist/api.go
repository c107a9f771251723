package checklist

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/trialsync/trialsync/sync/sim"
)

// maxItemBody bounds a PUT body: one item is a few hundred bytes.
const maxItemBody = 64 << 10

// handleList is GET /v1/checklist-items?study_id=S&limit=N[&cursor=C]. The page is encoded under the
// read lock, so it is one consistent cut of the items; the answer is written after the lock is
// released, so a slow or stalled client holds no writer up.
func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	s.counts.Add("list")
	study := r.URL.Query().Get("study_id")
	switch {
	case study == "":
		sim.WriteProblem(w, http.StatusBadRequest, "Bad request", "study_id is required.")
		return
	case study != s.opts.StudyID:
		sim.WriteProblem(w, http.StatusNotFound, "Study not found", "There is no study "+study+".")
		return
	}
	cursor, limit, err := sim.PageQuery(r, DefaultLimit, MaxLimit)
	if err != nil {
		sim.WriteProblem(w, http.StatusBadRequest, "Bad request", err.Error()+".")
		return
	}
	s.mu.RLock()
	page, next, err := sim.Paginate(s.order, func(it *item) string { return it.key }, cursor, limit)
	if err != nil {
		s.mu.RUnlock()
		sim.WriteProblem(w, http.StatusBadRequest, "Bad request", "The "+err.Error()+".")
		return
	}
	buf := make([]byte, 0, 64+len(page)*240)
	buf = append(buf, `{"items":[`...)
	for i, it := range page {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = s.sc.appendItem(buf, it)
	}
	s.mu.RUnlock()
	buf = append(buf, `],"next_cursor":`...)
	if next == "" {
		buf = append(buf, "null"...)
	} else {
		buf = appendString(buf, next)
	}
	buf = append(buf, "}\n"...)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(buf)
}

// handleGet is GET /v1/checklist-items/{site}/{code}: the item exactly as the listing serves it, or
// 404 when the site or the item does not exist. A reconciler reads it just before a PUT to see whether
// the item changed since it was listed (the systems have no conditional PUT).
func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) {
	s.counts.Add("get")
	site, code := r.PathValue("site"), r.PathValue("code")
	if !s.sites[site] {
		sim.WriteProblem(w, http.StatusNotFound, "Site not found", "There is no site "+site+" in study "+s.opts.StudyID+".")
		return
	}
	b, ok := s.Item(site, code)
	if !ok {
		sim.WriteProblem(w, http.StatusNotFound, "Item not found", "There is no item "+site+"/"+code+".")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(b, '\n'))
}

// handlePut is PUT /v1/checklist-items/{site}/{code}: the body replaces the item's writable fields
// (status required, a writable field left out becomes null), the update time becomes now and the
// editor the API user; the answer is the stored item.
func (s *Server) handlePut(w http.ResponseWriter, r *http.Request) {
	s.counts.Add("put")
	site, code := r.PathValue("site"), r.PathValue("code")
	if !s.sites[site] {
		sim.WriteProblem(w, http.StatusNotFound, "Site not found", "There is no site "+site+" in study "+s.opts.StudyID+".")
		return
	}
	var body map[string]json.RawMessage
	if err := sim.ReadJSON(r, maxItemBody, &body); err != nil || body == nil {
		detail := "The body is not a JSON object."
		if err != nil {
			detail = "The " + err.Error() + "."
		}
		sim.WriteProblem(w, http.StatusBadRequest, "Bad request", detail)
		return
	}
	p, err := s.sc.parseFields(body, site, code, false)
	if err == nil && !p.set[fStatus] {
		err = fmt.Errorf("%s is required", s.sc.names[fStatus])
	}
	if err != nil {
		sim.WriteProblem(w, http.StatusBadRequest, "Invalid checklist item", err.Error()+".")
		return
	}
	for _, f := range []field{fVersion, fDocument, fSignedOff, fPlanned} {
		if s.sc.names[f] != "" && !p.set[f] {
			p.set[f] = true
			if f == fSignedOff {
				p.signed = -1
			}
		}
	}
	p.set[fUpdated], p.updated = true, s.now()
	p.set[fEditor], p.editor = true, s.opts.User

	s.mu.Lock()
	key := itemKey(site, code)
	it := s.byKey[key]
	if it == nil {
		it = &item{key: key, site: site, code: code, signed: -1}
		s.insertLocked(it)
	}
	p.apply(it)
	out := append(s.sc.appendItem(nil, it), '\n')
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}
