package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// RWSOptions configures the RWS simulator. The zero value of each field picks the documented default.
type RWSOptions struct {
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
	// Faults is the fault-injection spec (see the package documentation); "" injects none.
	Faults string
	// RateLimit, when above zero, is a request budget per second stated in X-RateLimit-* headers
	// and enforced with 429 (see budget); zero sends no such headers, as RWS itself.
	RateLimit int
}

func (o RWSOptions) withDefaults() RWSOptions {
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
	return o
}

// RWS is a running Rave Web Services simulator on a loopback address.
type RWS struct {
	opts   RWSOptions
	study  *rwsStudy
	faults *faultInjector
	budget *budget
	srv    *http.Server
	ln     net.Listener
	done   chan struct{}

	mu       sync.Mutex
	visible  int64
	state    *postedState
	tokens   map[string]tokenInfo
	badLogin int
	locked   bool
	requests int64
	counts   map[string]int // answers by kind, for tests: "200", "429", "503", "drop", "truncate", "iis401", ...
}

// StartRWS starts the simulator on addr ("127.0.0.1:0" picks a free port). It refuses addresses that
// are not loopback: the simulator is for tests and demos on this machine only.
func StartRWS(addr string, opts RWSOptions) (*RWS, error) {
	opts = opts.withDefaults()
	spec, err := ParseFaults(opts.Faults, opts.Seed)
	if err != nil {
		return nil, err
	}
	faults := newFaultInjector(spec)
	if err := checkLoopback(addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sim rws: listen %s: %w", addr, err)
	}
	st := newRWSStudy(opts)
	s := &RWS{
		opts: opts, study: st, faults: faults, budget: &budget{limit: opts.RateLimit}, ln: ln, done: make(chan struct{}),
		tokens: map[string]tokenInfo{}, counts: map[string]int{}, state: newPostedState(),
	}
	s.visible = st.total()
	if opts.Visible > 0 && opts.Visible < s.visible {
		s.visible = opts.Visible
	}
	s.srv = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("sim: address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("sim: address %q is not loopback (use 127.0.0.1:PORT)", addr)
	}
	return nil
}

// URL is the simulator's RWS base URL, ".../RaveWebServices".
func (s *RWS) URL() string { return "http://" + s.ln.Addr().String() + "/RaveWebServices" }

// TokenURL is the OAuth2 token endpoint (client credentials grant).
func (s *RWS) TokenURL() string { return "http://" + s.ln.Addr().String() + "/oauth2/token" }

// Addr is the listening address.
func (s *RWS) Addr() string { return s.ln.Addr().String() }

// Options returns the effective options (defaults filled in).
func (s *RWS) Options() RWSOptions { return s.opts }

// Close stops the server at once, cutting open connections.
func (s *RWS) Close() error {
	err := s.srv.Close()
	<-s.done
	return err
}

// Shutdown stops the server gracefully, waiting for answers in flight until ctx ends.
func (s *RWS) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		err = s.srv.Close()
	}
	<-s.done
	return err
}

// Advance makes n more generated audit records exist (new data entered at the sites) and returns how
// many exist now.
func (s *RWS) Advance(n int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.visible = min(s.visible+n, s.study.total())
	return s.visible
}

// Count returns how many answers of a kind the simulator gave ("200", "401", "429", "503", "drop",
// "truncate", "iis401", "slow", "expired", "post").
func (s *RWS) Count(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[kind]
}

func (s *RWS) count(kind string) {
	s.mu.Lock()
	s.counts[kind]++
	s.mu.Unlock()
}

// Requests returns how many requests reached the simulator.
func (s *RWS) Requests() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Subjects returns the study's subject names in site order (seeded ones, then ones created by posts).
func (s *RWS) Subjects() []string {
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
func (s *RWS) TotalRecords() int64 { return s.study.total() }

func (s *RWS) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", s.handleToken)
	mux.HandleFunc("/RaveWebServices/", s.handleRWS)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { iisError(w, http.StatusNotFound) })
	return mux
}

// handleRWS routes every path under /RaveWebServices, matching case-insensitively as IIS does.
func (s *RWS) handleRWS(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()
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
	fw, ok := s.faults.begin(s, w, r)
	if !ok {
		return
	}
	defer fw.finish()

	switch {
	case r.Method == http.MethodPost && lower == "webservice.aspx":
		if r.URL.RawQuery != "PostODMClinicalData" {
			rwsError(fw, http.StatusNotImplemented, rwsErr{code: "RWS00140", msg: "Requested operation is not implemented."})
			return
		}
		s.handlePost(fw, r)
	case r.Method != http.MethodGet:
		iisError(fw, http.StatusMethodNotAllowed)
	case lower == "studies":
		s.handleStudies(fw, r)
	case len(parts) == 3 && strings.EqualFold(parts[0], "studies") && strings.EqualFold(parts[2], "subjects"):
		s.handleSubjects(fw, r, parts[1])
	case (len(parts) == 4 || len(parts) == 5) && strings.EqualFold(parts[0], "studies") && strings.EqualFold(parts[2], "datasets"):
		form := ""
		if len(parts) == 5 {
			form = parts[4]
		}
		s.handleDataset(fw, r, parts[1], strings.ToLower(parts[3]), form)
	case lower == "datasets/clinicalauditrecords.odm":
		s.handleAudit(fw, r)
	default:
		iisError(fw, http.StatusNotFound)
	}
}
