package rws

import (
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trialsync/trialsync/sync/sim"
)

// Options configures the RWS simulator. The zero value of each field picks the documented default.
type Options struct {
	// Seed makes the study and the fault sequence reproducible (default 1).
	Seed int64
	// Study is the study OID, Project(Env) (default "ALPHA(Prod)").
	Study string
	// Sites are the site LocationOIDs (default 101, 102, 103).
	Sites []string
	// SubjectsPerSite (default 4) and Visits (repeating VS visits per subject, default 3) set the scale.
	SubjectsPerSite int
	Visits          int
	// FirstAuditID is the study's first audit ID (default: seeded, between 1000 and 9999).
	FirstAuditID int64
	// Visible is how many generated audit records exist at start (default all); Advance releases more.
	Visible int64

	// User and Password are the Basic credentials RWS accepts (default "rws.integration" / "sim-password").
	User, Password string
	// ClientID and ClientSecret are the OAuth2 client credentials the token endpoint accepts
	// (default "trialsync" / "sim-client-secret"); TokenTTL is the lifetime it states (default 1 h).
	ClientID, ClientSecret string
	TokenTTL               time.Duration
	// MaxBadLogins is how many wrong passwords in a row lock the account (RWS00005; default 5).
	MaxBadLogins int

	// ExtraForms are forms (besides the seeded DM, RAND, AE, VS) that PostODMClinicalData accepts
	// with any ItemOID, e.g. exposure log forms (default EX_INH, EX_RPT).
	ExtraForms []string
	// NoGzip turns off gzip answers even when the client accepts them.
	NoGzip bool
	// Faults is the fault-injection spec (the grammar is in sync/sim's documentation); "" injects none.
	// The bomb fault hits only the subject listing.
	Faults string

	// Arms are the values RAND.ARM takes, one per subject by seeded choice (default "Arm A", "Arm B").
	Arms []string
	// ArmOf fixes RAND.ARM for the subjects it names (subject name -> arm) instead of the draw.
	ArmOf map[string]string
	// ArmForms lists, per arm (a RAND.ARM value), the drug exposure forms its subjects may have. A post
	// of a form listed for some arm to a subject whose arm does not list it is refused with RWS00033 at
	// the FormData, as Rave refuses a form outside the subject's matrix (the wrong-drug case). Nil (the
	// default) checks nothing; FromSeed fills it from the seed's arms and drugs.
	ArmForms map[string][]string
	// MalformedSubject names a seeded subject whose blocks RWS serves malformed: in the datasets and
	// in the audit feed (its first item record), one ItemData lacks its ItemOID, as a damaged export
	// does. The rest of each answer stays well-formed. "" (default) serves every block intact.
	MalformedSubject string
	// RateLimit, when above zero, is a request budget per second stated in X-RateLimit-* headers
	// and enforced with 429 (see budget); zero sends no such headers, as RWS itself.
	RateLimit int
}

func (o Options) withDefaults() Options {
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Study == "" {
		o.Study = "ALPHA(Prod)"
	}
	if len(o.Sites) == 0 {
		o.Sites = []string{"101", "102", "103"}
	}
	if o.SubjectsPerSite <= 0 {
		o.SubjectsPerSite = 4
	}
	if o.Visits <= 0 {
		o.Visits = 3
	}
	if o.User == "" {
		o.User = "rws.integration"
	}
	if o.Password == "" {
		o.Password = "sim-password"
	}
	if o.ClientID == "" {
		o.ClientID = "trialsync"
	}
	if o.ClientSecret == "" {
		o.ClientSecret = "sim-client-secret"
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = time.Hour
	}
	if o.MaxBadLogins <= 0 {
		o.MaxBadLogins = 5
	}
	if o.ExtraForms == nil {
		o.ExtraForms = []string{"EX_INH", "EX_RPT"}
	}
	if len(o.Arms) == 0 {
		o.Arms = []string{"Arm A", "Arm B"}
	}
	return o
}

// Server is a running Rave Web Services simulator on a loopback address.
type Server struct {
	*sim.Server // Addr, Close, Shutdown; URL is RWS's own, below

	opts     Options
	study    *seededStudy
	inject   *sim.Injector
	counts   *sim.Counts
	tokens   *sim.Tokens
	routes   routes
	requests atomic.Int64

	budget  *budget
	armForm map[string]bool // forms some arm of ArmForms lists
	txFail  txFail

	mu       sync.Mutex
	visible  int64
	state    *postedState
	badLogin int
	locked   bool
}

// routes are the fault routes of the simulator: every authorised request admits every fault, with
// an endless ODM stream; only the subject listing admits the gzip bomb.
type routes struct {
	all, subjects sim.Route
}

// Start starts the simulator on addr ("127.0.0.1:0" picks a free port). It refuses addresses that
// are not loopback: the simulator is for tests and demos on this machine only.
func Start(addr string, opts Options) (*Server, error) {
	opts = opts.withDefaults()
	core, tf, err := splitFaults(opts.Faults)
	if err != nil {
		return nil, err
	}
	faults, err := sim.ParseFaults(core, opts.Seed)
	if err != nil {
		return nil, err
	}
	tf.rng = rand.New(rand.NewPCG(uint64(faults.Seed), 0x7478_6661_696c))
	if err := sim.CheckLoopback(addr); err != nil {
		return nil, err
	}
	st := newStudy(opts)
	s := &Server{opts: opts, study: st, counts: &sim.Counts{}, state: newPostedState(), txFail: tf, armForm: map[string]bool{}, budget: &budget{limit: opts.RateLimit}}
	for _, forms := range opts.ArmForms {
		for _, f := range forms {
			s.armForm[f] = true
		}
	}
	s.inject = sim.NewInjector(sim.InjectorOptions{Faults: faults, Counts: s.counts, NoGzip: opts.NoGzip, Refuse: refuse})
	s.tokens = sim.NewTokens(opts.TokenTTL, faults.Expire)
	s.routes = s.faultRoutes()
	s.visible = st.total()
	if opts.Visible > 0 && opts.Visible < s.visible {
		s.visible = opts.Visible
	}
	if s.Server, err = sim.Listen(addr, s.handler()); err != nil {
		return nil, err
	}
	return s, nil
}

// URL is the simulator's RWS base URL, ".../RaveWebServices".
func (s *Server) URL() string { return s.Server.URL() + "/RaveWebServices" }

// TokenURL is the OAuth2 token endpoint (client credentials grant).
func (s *Server) TokenURL() string { return s.Server.URL() + "/oauth2/token" }

// Options returns the effective options (defaults filled in).
func (s *Server) Options() Options { return s.opts }

// Advance makes n more generated audit records exist (new data entered at the sites) and returns how
// many exist now.
func (s *Server) Advance(n int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.visible = min(s.visible+n, s.study.total())
	return s.visible
}

// Count returns how many answers or events of a kind the simulator gave: statuses ("200", "401", …,
// "401" counting only authorisation refusals), "post", "token", "expired", "gzip", and the faults met
// ("429", "storm", "503", "iis401", "drop", "truncate", "slow", "stall", "trickle", "endless",
// "redirect", "close", "bomb").
func (s *Server) Count(kind string) int { return s.counts.Get(kind) }

func (s *Server) count(kind string) { s.counts.Add(kind) }

// Requests returns how many requests reached the simulator.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Subjects returns the study's subject names in site order (seeded ones, then ones created by posts).
func (s *Server) Subjects() []string {
	out := make([]string, 0, s.study.subjects())
	for i := range s.study.subjects() {
		out = append(out, s.study.subjectName(i))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ns := range s.state.newSubjects {
		out = append(out, ns.name)
	}
	return out
}

// TotalRecords is the number of audit records the seeded study will have once all are visible.
func (s *Server) TotalRecords() int64 { return s.study.total() }

func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", s.handleToken)
	mux.HandleFunc("/RaveWebServices/", s.handleRWS)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { iisError(w, http.StatusNotFound) })
	return mux
}

// handleRWS routes every path under /RaveWebServices, matching case-insensitively as IIS does.
// Version needs no authorisation and meets no fault; every other request is authorised, then goes
// through the fault injector.
func (s *Server) handleRWS(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	path := strings.TrimPrefix(r.URL.Path, "/RaveWebServices/")
	parts := strings.Split(strings.Trim(path, "/"), "/")
	lower := strings.ToLower(path)

	if lower == "version" && r.Method == http.MethodGet {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("1.0.0"))
		return
	}
	if !s.authorized(w, r) || !s.budget.admit(s, w) {
		return
	}
	subjects := r.Method == http.MethodGet && len(parts) == 3 && strings.EqualFold(parts[0], "studies") && strings.EqualFold(parts[2], "subjects")
	route := s.routes.all
	if subjects {
		route = s.routes.subjects
	}
	s.inject.Serve(w, r, route, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && lower == "webservice.aspx":
			if r.URL.RawQuery != "PostODMClinicalData" {
				rwsError(w, http.StatusNotImplemented, rwsErr{code: "RWS00140", msg: "Requested operation is not implemented."})
				return
			}
			s.handlePost(w, r)
		case r.Method != http.MethodGet:
			iisError(w, http.StatusMethodNotAllowed)
		case lower == "studies":
			s.handleStudies(w, r)
		case subjects:
			s.handleSubjects(w, r, parts[1])
		case (len(parts) == 4 || len(parts) == 5) && strings.EqualFold(parts[0], "studies") && strings.EqualFold(parts[2], "datasets"):
			form := ""
			if len(parts) == 5 {
				form = parts[4]
			}
			s.handleDataset(w, r, parts[1], strings.ToLower(parts[3]), form)
		case lower == "datasets/clinicalauditrecords.odm":
			s.handleAudit(w, r)
		default:
			iisError(w, http.StatusNotFound)
		}
	}))
}
