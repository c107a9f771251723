package sureadhere

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/trialsync/trialsync/sync/sim"
	"github.com/trialsync/trialsync/sync/sim/seed"
)

// IngestPath is the patient-ingest endpoint.
const IngestPath = "/treatment/ingest/mrn_regimen"

// TokenHeader is the header carrying a workspace's integration token.
const TokenHeader = "MRNIntegrationToken"

// Options configures the simulator. The zero value of each field picks the documented default.
type Options struct {
	// Token is the MRNIntegrationToken of the default workspace (default "sim-sureadhere-token").
	Token string
	// Workspace names the default workspace (default "ALPHA").
	Workspace string
	// Workspaces are further workspaces, by token (token -> workspace name); MRNs are unique per workspace.
	Workspaces map[string]string
	// Sites are the site codes patients may be registered at (default 101, 102, 103).
	Sites []string
	// Regimens are the regimens a patient may be given (default "Group 1", "Group 2").
	Regimens []string
	// Rate is how many requests per second one client address may send (default 10; negative: no
	// throttling), with bursts of Burst (default 20).
	Rate  float64
	Burst int
	// Faults is the fault-injection spec (the sync/sim grammar); "" injects none.
	Faults string
	// Seed seeds the fault sequence (default 1).
	Seed int64
	// Now is the clock of creation times and of throttling (default time.Now).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Token == "" {
		o.Token = "sim-sureadhere-token"
	}
	if o.Workspace == "" {
		o.Workspace = "ALPHA"
	}
	if len(o.Sites) == 0 {
		o.Sites = []string{"101", "102", "103"}
	}
	if len(o.Regimens) == 0 {
		o.Regimens = []string{"Group 1", "Group 2"}
	}
	if o.Rate == 0 {
		o.Rate = 10
	}
	if o.Burst <= 0 {
		o.Burst = 20
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// FromSeed returns the options that serve the demo's study as SureAdhere holds it: its sites, the
// regimens of its arms, a workspace named for the study's project, and the study's seed. Token, rate
// and faults stay the caller's.
func FromSeed(st *seed.Study) Options {
	project, _, _ := strings.Cut(st.OID, "(")
	o := Options{Workspace: project, Seed: st.Seed}
	for _, s := range st.Sites {
		o.Sites = append(o.Sites, s.OID)
	}
	for _, a := range st.Arms {
		if !slices.Contains(o.Regimens, a.Regimen) {
			o.Regimens = append(o.Regimens, a.Regimen)
		}
	}
	return o
}

// Patient is one registered patient.
type Patient struct {
	ID        int64     `json:"id"`
	Workspace string    `json:"-"`
	MRN       string    `json:"mrn"`
	Regimen   string    `json:"regimen"`
	SiteCode  string    `json:"site_code"`
	Created   time.Time `json:"created_at"`
}

// Server is a running SureAdhere simulator on a loopback address. Its URL is the base URL,
// "http://127.0.0.1:PORT"; the endpoint is URL()+IngestPath.
type Server struct {
	*sim.Server // Addr, URL, Close, Shutdown

	opts   Options
	counts *sim.Counts
	inject *sim.Injector
	route  sim.Route
	tokens map[string]string // token -> workspace

	limMu    sync.Mutex
	limiters map[string]*rate.Limiter // by client IP

	mu       sync.Mutex
	patients []Patient
	byMRN    map[[2]string]int // (workspace, MRN) -> index in patients
}

// Start starts the simulator on addr ("127.0.0.1:0" picks a free port); it refuses addresses that are
// not loopback.
func Start(addr string, opts Options) (*Server, error) {
	opts = opts.withDefaults()
	faults, err := sim.ParseFaults(opts.Faults, opts.Seed)
	if err != nil {
		return nil, err
	}
	if err := sim.CheckLoopback(addr); err != nil {
		return nil, err
	}
	s := &Server{
		opts: opts, counts: &sim.Counts{}, tokens: map[string]string{opts.Token: opts.Workspace},
		limiters: map[string]*rate.Limiter{}, byMRN: map[[2]string]int{},
	}
	for tok, ws := range opts.Workspaces {
		if tok == "" || ws == "" {
			return nil, fmt.Errorf("sureadhere simulator: a workspace needs a token and a name")
		}
		s.tokens[tok] = ws
	}
	s.inject = sim.NewInjector(sim.InjectorOptions{Faults: faults, Counts: s.counts, Refuse: refuse})
	s.route = sim.Route{Faults: sim.AllFaults &^ sim.FaultIIS401}
	if s.Server, err = sim.Listen(addr, s.handler()); err != nil {
		return nil, err
	}
	return s, nil
}

// Options returns the effective options (defaults filled in).
func (s *Server) Options() Options { return s.opts }

// Count returns how many events of a kind happened: "ingest", statuses ("201", "400", "409", "429",
// …), "throttled", and the faults met ("429", "503", "drop", …).
func (s *Server) Count(kind string) int { return s.counts.Get(kind) }

// Patients returns every registered patient, in the order they were registered.
func (s *Server) Patients() []Patient {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.patients)
}

// Patient returns the patient with that MRN in a workspace.
func (s *Server) Patient(workspace, mrn string) (Patient, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.byMRN[[2]string{workspace, mrn}]
	if !ok {
		return Patient{}, false
	}
	return s.patients[i], true
}

func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST "+IngestPath, s.inject.Wrap(s.route, http.HandlerFunc(s.handleIngest)))
	mux.HandleFunc("GET /sim/patients", s.handlePatients)
	mux.HandleFunc(IngestPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "POST, OPTIONS")
		s.detail(w, http.StatusMethodNotAllowed, fmt.Sprintf("Method %q not allowed.", r.Method))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.detail(w, http.StatusNotFound, "Not found.")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.throttled(w, r) {
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// throttled applies the per-address rate limit: over it, the answer is DRF's 429 with Retry-After in
// whole seconds (rounded up) and the request goes no further.
func (s *Server) throttled(w http.ResponseWriter, r *http.Request) bool {
	if s.opts.Rate < 0 {
		return false
	}
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	s.limMu.Lock()
	lim := s.limiters[ip]
	if lim == nil {
		lim = rate.NewLimiter(rate.Limit(s.opts.Rate), s.opts.Burst)
		s.limiters[ip] = lim
	}
	now := s.opts.Now()
	res := lim.ReserveN(now, 1)
	wait := res.DelayFrom(now)
	if wait > 0 {
		res.CancelAt(now)
	}
	s.limMu.Unlock()
	if wait <= 0 {
		return false
	}
	secs := int((wait + time.Second - 1) / time.Second)
	s.counts.Add("throttled")
	w.Header().Set("Retry-After", fmt.Sprint(secs))
	unit := "seconds"
	if secs == 1 {
		unit = "second"
	}
	s.detail(w, http.StatusTooManyRequests, fmt.Sprintf("Request was throttled. Expected available in %d %s.", secs, unit))
	return true
}

// detail answers {"detail": msg}, DRF's error shape, and counts the status.
func (s *Server) detail(w http.ResponseWriter, status int, msg string) {
	s.counts.Add(fmt.Sprint(status))
	sim.WriteJSON(w, status, map[string]string{"detail": msg})
}

// refuse writes the injector's 429 (DRF's throttle answer) and 503 (the load balancer's page).
func refuse(w http.ResponseWriter, _ *http.Request, status int) {
	if status == http.StatusTooManyRequests {
		sim.WriteJSON(w, status, map[string]string{"detail": "Request was throttled."})
		return
	}
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n</body>\r\n</html>\r\n",
		status, http.StatusText(status), status, http.StatusText(status))
}

// workspace returns the workspace of the request's token ("" when the token is missing or unknown),
// comparing in constant time.
func (s *Server) workspace(r *http.Request) string {
	for tok, ws := range s.tokens {
		if sim.HasToken(r, TokenHeader, "", tok) {
			return ws
		}
	}
	return ""
}
