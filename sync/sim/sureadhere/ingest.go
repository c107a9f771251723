package sureadhere

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/trialsync/trialsync/sync/sim"
)

// maxBody bounds an ingest body: three short strings.
const maxBody = 64 << 10

// mrnForm is the MRN's form: the site code, a dash, three digits (the study's subject IDs).
var mrnForm = regexp.MustCompile(`^([A-Za-z0-9]+)-[0-9]{3}$`)

// handleIngest is POST /treatment/ingest/mrn_regimen. Its answers pass through the fault injector,
// which counts their statuses.
func (s *Server) handleIngest(w http.ResponseWriter, r *http.Request) {
	s.counts.Add("ingest")
	answer := func(status int, v any) { sim.WriteJSON(w, status, v) }
	ws := s.workspace(r)
	if ws == "" {
		answer(http.StatusBadRequest, map[string]string{"detail": "Invalid " + TokenHeader + "."})
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		answer(http.StatusUnsupportedMediaType, map[string]string{"detail": fmt.Sprintf("Unsupported media type %q in request.", r.Header.Get("Content-Type"))})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return // the client went away
	}
	if len(body) > maxBody {
		answer(http.StatusRequestEntityTooLarge, map[string]string{"detail": "Request body too large."})
		return
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		msg := "JSON parse error - the body is not a JSON object"
		if err != nil {
			msg = "JSON parse error - " + err.Error()
		}
		answer(http.StatusBadRequest, map[string]string{"detail": msg})
		return
	}
	p, problems := s.validate(raw)
	if len(problems) > 0 {
		answer(http.StatusBadRequest, problems)
		return
	}

	s.mu.Lock()
	key := [2]string{ws, p.MRN}
	if _, dup := s.byMRN[key]; dup {
		s.mu.Unlock()
		answer(http.StatusConflict, map[string]string{"detail": "A patient with MRN " + p.MRN + " already exists."})
		return
	}
	p.ID, p.Workspace, p.Created = int64(len(s.patients)+1), ws, s.opts.Now().UTC().Truncate(1e6)
	s.patients = append(s.patients, p)
	s.byMRN[key] = len(s.patients) - 1
	s.mu.Unlock()
	w.Header().Set("Location", IngestPath+"/"+fmt.Sprint(p.ID))
	answer(http.StatusCreated, p)
}

// validate checks the three fields and returns the patient, or every problem field by field.
func (s *Server) validate(raw map[string]json.RawMessage) (Patient, map[string][]string) {
	problems := map[string][]string{}
	str := func(name string) string {
		v, ok := raw[name]
		if !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			problems[name] = append(problems[name], "This field is required.")
			return ""
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			problems[name] = append(problems[name], "Not a valid string.")
			return ""
		}
		if strings.TrimSpace(s) == "" {
			problems[name] = append(problems[name], "This field may not be blank.")
			return ""
		}
		return s
	}
	p := Patient{MRN: str("mrn"), Regimen: str("regimen"), SiteCode: str("site_code")}
	if p.SiteCode != "" && !slices.Contains(s.opts.Sites, p.SiteCode) {
		problems["site_code"] = append(problems["site_code"], fmt.Sprintf("Site code %q does not exist in this workspace.", p.SiteCode))
	}
	if p.Regimen != "" && !slices.Contains(s.opts.Regimens, p.Regimen) {
		problems["regimen"] = append(problems["regimen"], fmt.Sprintf("%q is not a valid choice.", p.Regimen))
	}
	if p.MRN != "" {
		m := mrnForm.FindStringSubmatch(p.MRN)
		switch {
		case m == nil:
			problems["mrn"] = append(problems["mrn"], fmt.Sprintf("MRN %q is not of the form SITE-NNN (e.g. 101-001).", p.MRN))
		case p.SiteCode != "" && m[1] != p.SiteCode:
			problems["mrn"] = append(problems["mrn"], fmt.Sprintf("MRN %q does not belong to site %q.", p.MRN, p.SiteCode))
		}
	}
	return p, problems
}

// handlePatients is GET /sim/patients: the patients of the token's workspace, for tests and the demo.
func (s *Server) handlePatients(w http.ResponseWriter, r *http.Request) {
	ws := s.workspace(r)
	if ws == "" {
		s.detail(w, http.StatusBadRequest, "Invalid "+TokenHeader+".")
		return
	}
	out := []Patient{}
	for _, p := range s.Patients() {
		if p.Workspace == ws {
			out = append(out, p)
		}
	}
	s.counts.Add("200")
	sim.WriteJSON(w, http.StatusOK, map[string]any{"workspace": ws, "count": len(out), "patients": out})
}
