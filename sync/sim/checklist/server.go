package checklist

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/trialsync/trialsync/sync/sim"
	"github.com/trialsync/trialsync/sync/sim/seed"
)

// Paging limits of the listing.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// DefaultCodes are the checklist item codes served when Options.Items is nil (the demo study's).
var DefaultCodes = []string{"IRB_APPROVAL", "CTA_SIGNED", "PI_CV", "GCP_TRAINING", "LAB_NORMALS", "PHARMACY_READY"}

// Options configures one checklist system. The zero value of each field but System picks the
// documented default.
type Options struct {
	// System is EDC or CTMS: which field names and vocabulary the simulator speaks.
	System System
	// StudyID is the study_id the listing answers for (default "ALPHA").
	StudyID string
	// Token is the bearer token every request needs (default "sim-edc-token" or "sim-ctms-token").
	Token string
	// User is the API user a PUT is recorded as (lastEditedBy, modifiedBy; default "trialsync.integration").
	User string
	// Sites are the sites items may be created at (default: the sites of Items, else 101, 102, 103).
	Sites []string
	// Items are served from this system's side (EDC or CTMS values). Nil serves every DefaultCodes item
	// at every site with values drawn from Seed; an empty, non-nil slice starts with no items.
	Items []seed.ChecklistItem
	// Seed draws the seeded update times and editors and the default items, and seeds the fault
	// sequence (default 1).
	Seed int64
	// Faults is the fault-injection spec (the sync/sim grammar); "" injects none.
	Faults string
	// Now is the clock of update times (default time.Now).
	Now func() time.Time
}

func (o Options) withDefaults() (Options, error) {
	if o.System != EDC && o.System != CTMS {
		return o, fmt.Errorf("checklist simulator: system %q is neither %q nor %q", o.System, EDC, CTMS)
	}
	if o.StudyID == "" {
		o.StudyID = "ALPHA"
	}
	if o.Token == "" {
		o.Token = "sim-" + string(o.System) + "-token"
	}
	if o.User == "" {
		o.User = "trialsync.integration"
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if len(o.Sites) == 0 {
		seen := map[string]bool{}
		for _, it := range o.Items {
			if !seen[it.Site] {
				seen[it.Site] = true
				o.Sites = append(o.Sites, it.Site)
			}
		}
	}
	if len(o.Sites) == 0 {
		o.Sites = []string{"101", "102", "103"}
	}
	if o.Items == nil {
		o.Items = seed.GenerateChecklist(o.Seed, o.Sites, DefaultCodes, 0)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

// FromSeed returns the options that serve the demo study's checklists (seed.Study.ChecklistItems) as
// system sys holds them: its study ID, sites, items and seed. Token, user and faults stay the caller's.
func FromSeed(st *seed.Study, sys System) Options {
	o := Options{System: sys, StudyID: st.Checklist.StudyID, Seed: st.Seed, Items: st.ChecklistItems()}
	for _, s := range st.Sites {
		o.Sites = append(o.Sites, s.OID)
	}
	return o
}

// Server is a running EDC or CTMS checklist simulator on a loopback address. Its URL is the system's
// base URL, "http://127.0.0.1:PORT"; the API is under /v1.
type Server struct {
	*sim.Server // Addr, URL, Close, Shutdown

	opts   Options
	sc     *schema
	counts *sim.Counts
	inject *sim.Injector
	idem   *sim.Idempotency
	sites  map[string]bool
	route  sim.Route

	mu    sync.RWMutex
	byKey map[string]*item
	order []*item // by key, ascending: the listing's order
}

// Start starts the simulator on addr ("127.0.0.1:0" picks a free port); it refuses addresses that are
// not loopback.
func Start(addr string, opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	faults, err := sim.ParseFaults(opts.Faults, opts.Seed)
	if err != nil {
		return nil, err
	}
	if err := sim.CheckLoopback(addr); err != nil {
		return nil, err
	}
	s := &Server{opts: opts, sc: schemas[opts.System], counts: &sim.Counts{}, sites: map[string]bool{}, byKey: map[string]*item{}}
	for _, site := range opts.Sites {
		s.sites[site] = true
	}
	if err := s.load(opts.Items); err != nil {
		return nil, err
	}
	s.inject = sim.NewInjector(sim.InjectorOptions{Faults: faults, Counts: s.counts, Refuse: refuse})
	s.idem = sim.NewIdempotency(sim.IdempotencyOptions{Counts: s.counts})
	s.route = sim.Route{Faults: sim.AllFaults &^ sim.FaultIIS401, Endless: s.endless}
	if s.Server, err = sim.Listen(addr, s.handler()); err != nil {
		return nil, err
	}
	return s, nil
}

// load stores this system's side of items, with seeded update times and editors.
func (s *Server) load(items []seed.ChecklistItem) error {
	base := time.Date(2025, 2, 3, 8, 0, 0, 0, time.UTC)
	for i, ci := range items {
		if !s.sites[ci.Site] {
			return fmt.Errorf("checklist simulator: item %s/%s is at a site not among the sites", ci.Site, ci.Code)
		}
		if ci.Code == "" || strings.ContainsAny(ci.Code, "/\x00") || strings.ContainsAny(ci.Site, "/\x00") {
			return fmt.Errorf("checklist simulator: item %q/%q: a site and a code are non-empty and hold no slash", ci.Site, ci.Code)
		}
		v := ci.EDC
		if s.opts.System == CTMS {
			v = ci.CTMS
		}
		word, err := s.sc.word(v.Status)
		if err != nil {
			return fmt.Errorf("checklist simulator: item %s/%s: %w", ci.Site, ci.Code, err)
		}
		it := &item{
			key: itemKey(ci.Site, ci.Code), site: ci.Site, code: ci.Code, version: ci.Version, status: word,
			document: v.EvidenceDocID, planned: v.PlannedActivationDate, signed: -1,
			updated: base.Add(time.Duration(sim.Pick(s.opts.Seed, string(s.opts.System), int64(i), 0, 20*24*60)) * time.Minute),
			editor:  s.sc.editors[sim.Pick(s.opts.Seed, "editor", int64(i), 0, len(s.sc.editors))],
		}
		if s.opts.System == CTMS {
			it.signed = 0
			if v.MilestoneSignedOff {
				it.signed = 1
			}
		}
		if s.byKey[it.key] != nil {
			return fmt.Errorf("checklist simulator: item %s/%s appears twice", ci.Site, ci.Code)
		}
		s.byKey[it.key] = it
		s.order = append(s.order, it)
	}
	slices.SortFunc(s.order, func(a, b *item) int { return strings.Compare(a.key, b.key) })
	return nil
}

// Options returns the effective options (defaults filled in).
func (s *Server) Options() Options { return s.opts }

// Count returns how many events of a kind happened: "list", "get", "put", "edit", "delete", answers by
// status ("200", "400", "401", …), faults met ("429", "503", "drop", …), and the Idempotency-Key
// store's "replay", "idempotency409", "idempotency422", "idempotency400".
func (s *Server) Count(kind string) int { return s.counts.Get(kind) }

func (s *Server) now() time.Time { return s.opts.Now().UTC() }

// insertLocked adds a new item in key order; s.mu is held for writing.
func (s *Server) insertLocked(it *item) {
	i, _ := slices.BinarySearchFunc(s.order, it.key, func(x *item, k string) int { return strings.Compare(x.key, k) })
	s.order = slices.Insert(s.order, i, it)
	s.byKey[it.key] = it
}

// deleteLocked removes an item; s.mu is held for writing.
func (s *Server) deleteLocked(key string) {
	i, found := slices.BinarySearchFunc(s.order, key, func(x *item, k string) int { return strings.Compare(x.key, k) })
	if found {
		s.order = slices.Delete(s.order, i, i+1)
	}
	delete(s.byKey, key)
}

func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /v1/checklist-items", s.inject.Wrap(s.route, http.HandlerFunc(s.handleList)))
	mux.Handle("GET /v1/checklist-items/{site}/{code}", s.inject.Wrap(s.route, http.HandlerFunc(s.handleGet)))
	mux.Handle("PUT /v1/checklist-items/{site}/{code}", s.inject.Wrap(s.route, s.idem.Wrap(true, http.HandlerFunc(s.handlePut))))
	mux.HandleFunc("POST /sim/edits", s.handleEdits)
	mux.HandleFunc("DELETE /sim/items/{site}/{code}", s.handleDelete)
	mux.HandleFunc("GET /sim/items", s.handleReadback)
	mux.HandleFunc("/v1/checklist-items", s.notAllowed("GET"))
	mux.HandleFunc("/v1/checklist-items/{site}/{code}", s.notAllowed("GET, PUT"))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		problem(w, s.counts, http.StatusNotFound, "Not found", "There is nothing at "+r.URL.Path+".")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(w, r) {
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// notAllowed answers 405 for a method a resource does not take.
func (s *Server) notAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		problem(w, s.counts, http.StatusMethodNotAllowed, "Method not allowed", r.Method+" is not allowed here; use "+allow+".")
	}
}

// authorized checks the bearer token (RFC 6750): no credentials is a 401 with a bare challenge, a
// wrong token a 401 with error="invalid_token".
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if sim.HasToken(r, "Authorization", "Bearer ", s.opts.Token) {
		return true
	}
	challenge := `Bearer realm="` + s.sc.sys.Label() + `"`
	detail := "This request needs a bearer token."
	if r.Header.Get("Authorization") != "" {
		challenge += `, error="invalid_token"`
		detail = "The bearer token is not valid."
	}
	w.Header().Set("WWW-Authenticate", challenge)
	problem(w, s.counts, http.StatusUnauthorized, "Unauthorized", detail)
	return false
}

// problem answers an application/problem+json error and counts its status (answers that do not pass
// through the fault injector are not counted there).
func problem(w http.ResponseWriter, c *sim.Counts, status int, title, detail string) {
	c.Add(fmt.Sprint(status))
	sim.WriteProblem(w, status, title, detail)
}

// refuse writes the systems' 429 and 503 answers: problem+json, as their other errors.
func refuse(w http.ResponseWriter, _ *http.Request, status int) {
	detail := "The service is temporarily unavailable; retry later."
	if status == http.StatusTooManyRequests {
		detail = "Too many requests; slow down and retry later."
	}
	sim.WriteProblem(w, status, http.StatusText(status), detail)
}

// endless is the listing under the endless fault: its head, then items for ever.
func (s *Server) endless(*http.Request) sim.Filler {
	s.mu.RLock()
	defer s.mu.RUnlock()
	it := &item{key: itemKey("101", "X"), site: "101", code: "X", version: "v1", status: s.sc.words[0], signed: -1, updated: s.now(), editor: s.opts.User}
	if len(s.order) > 0 {
		it = s.order[0]
	}
	return sim.Filler{ContentType: "application/json", Head: []byte(`{"items":[`), Unit: append(s.sc.appendItem(nil, it), ',')}
}
