package main

import (
	"context"
	_ "embed"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/agent"
	"github.com/trialsync/trialsync/sync/config"
	simchecklist "github.com/trialsync/trialsync/sync/sim/checklist"
	simrws "github.com/trialsync/trialsync/sync/sim/rws"
	"github.com/trialsync/trialsync/sync/sim/seed"
	simsureadhere "github.com/trialsync/trialsync/sync/sim/sureadhere"
)

// demoSeed is the demo's study: a copy of testdata/seed/study.toml (a test keeps them equal), built
// in so that the demo runs from the binary alone.
//
//go:embed demo_seed.toml
var demoSeed []byte

// demoKeyringService is where the demo keeps its secrets in the OS keyring, apart from a user's own
// (service "trialsync").
const demoKeyringService = "trialsync-demo"

// demoPart is one remote system the demo simulates: how it starts from the study, what it adds to the
// configuration, and the credentials trialsync needs for it.
type demoPart struct {
	name string // for people: "Rave"
	// start runs the simulator on loopback and returns what the configuration and keyring need.
	start func(st *seed.Study) (*demoRemote, error)
}

// demoRemote is a running simulator.
type demoRemote struct {
	name      string
	url       string
	configure func(cfg *config.Config)
	creds     map[string]string // keyring entry -> secret the simulator accepts
	shutdown  func(context.Context) error
	rws       *simrws.Server // the Rave simulator, for the summary's expectations
}

// demoParts are the simulated systems, in the order they start.
func demoParts() []demoPart {
	return []demoPart{
		{name: "Rave", start: startDemoRave},
		{name: "SureAdhere", start: startDemoSureAdhere},
		{name: "EDC", start: func(st *seed.Study) (*demoRemote, error) { return startDemoChecklist(st, simchecklist.EDC) }},
		{name: "CTMS", start: func(st *seed.Study) (*demoRemote, error) { return startDemoChecklist(st, simchecklist.CTMS) }},
	}
}

// demoRequestsPerSecond lifts the Rave client's default pace (10 requests a second, a courtesy to a
// real Rave) for the simulated one, so that a month of doses goes out in seconds rather than minutes.
const demoRequestsPerSecond = 1000

// demoRavePassword is the simulated Rave's Basic password.
const demoRavePassword = "demo-rave-password"

func startDemoRave(st *seed.Study) (*demoRemote, error) {
	opts := simrws.FromSeed(st)
	opts.Password = demoRavePassword
	s, err := simrws.Start("127.0.0.1:0", opts)
	if err != nil {
		return nil, fmt.Errorf("demo: starting the Rave simulator: %w", err)
	}
	o := s.Options()
	return &demoRemote{
		name: "Rave", url: s.URL(), rws: s,
		creds:    map[string]string{"rave.password": demoRavePassword},
		shutdown: s.Shutdown,
		configure: func(cfg *config.Config) {
			cfg.Rave = &config.Rave{URL: s.URL(), Auth: config.AuthBasic, User: o.User, PageSize: config.DefaultPageSize,
				RequestsPerSecond: demoRequestsPerSecond, Studies: []config.Study{{OID: st.OID, Sites: o.Sites, ArmItem: "RAND.ARM"}}}
		},
	}, nil
}

// The simulated systems' tokens.
const (
	demoSureAdhereToken = "demo-sureadhere-token"
	demoEDCToken        = "demo-edc-token"
	demoCTMSToken       = "demo-ctms-token"
	demoIntakeToken     = "demo-intake-token"
)

func startDemoSureAdhere(st *seed.Study) (*demoRemote, error) {
	opts := simsureadhere.FromSeed(st)
	opts.Token = demoSureAdhereToken
	s, err := simsureadhere.Start("127.0.0.1:0", opts)
	if err != nil {
		return nil, fmt.Errorf("demo: starting the SureAdhere simulator: %w", err)
	}
	return &demoRemote{
		name: "SureAdhere", url: s.URL(), shutdown: s.Shutdown,
		creds: map[string]string{"sureadhere.token": demoSureAdhereToken, "intake.token": demoIntakeToken},
		configure: func(cfg *config.Config) {
			cfg.SureAdhere = &config.SureAdhere{URL: s.URL(), Regimens: map[string]string{}}
			for _, a := range st.Arms {
				cfg.SureAdhere.Regimens[a.Name] = a.Regimen
			}
			cfg.Exposure = &config.Exposure{StudyOID: st.OID, StudyEvent: st.ExposureEvent, Drugs: map[string]string{},
				MaxAttempts: config.DefaultMaxAttempts}
			for _, d := range st.Drugs {
				cfg.Exposure.Drugs[d.Name] = d.Form
			}
		},
	}, nil
}

func startDemoChecklist(st *seed.Study, sys simchecklist.System) (*demoRemote, error) {
	opts := simchecklist.FromSeed(st, sys)
	name, cred, token := "EDC", "edc.token", demoEDCToken
	if sys == simchecklist.CTMS {
		name, cred, token = "CTMS", "ctms.token", demoCTMSToken
	}
	opts.Token = token
	s, err := simchecklist.Start("127.0.0.1:0", opts)
	if err != nil {
		return nil, fmt.Errorf("demo: starting the %s simulator: %w", name, err)
	}
	return &demoRemote{
		name: name, url: s.URL(), shutdown: s.Shutdown, creds: map[string]string{cred: token},
		configure: func(cfg *config.Config) {
			if cfg.Checklist == nil {
				cfg.Checklist = &config.Checklist{StudyID: st.Checklist.StudyID}
			}
			if sys == simchecklist.EDC {
				cfg.Checklist.EDCURL = s.URL()
			} else {
				cfg.Checklist.CTMSURL = s.URL()
			}
		},
	}, nil
}

// demo is one run of the demo: its directory, simulators, keyring and agent.
type demo struct {
	opts      *demoOptions
	dir       string
	removeDir bool
	study     *seed.Study
	remotes   []*demoRemote
	keyring   *recordingKeyring
	mockKeys  bool   // secrets in go-keyring's in-memory mock: no Secret Service answered
	keyNote   string // where the secrets are, in words
	keyErr    error  // why the OS keyring was not used
	agent     *agent.Agent
	config    string
}

// startDemo loads the study, starts the simulators, chooses the keyring, writes the configuration,
// opens the agent and stores the credentials. On error, what was started is returned for close.
func startDemo(ctx context.Context, g *globals, o *demoOptions, out output) (*demo, error) {
	st, err := loadDemoSeed(o.seed)
	if err != nil {
		return nil, err
	}
	d := &demo{opts: o, study: st}
	if d.dir, d.removeDir, err = demoDir(o); err != nil {
		return nil, err
	}
	out.printf("trialsync demo: %s, %d sites, %d subjects\n", st.Name, len(st.Sites), len(st.Subjects()))
	d.chooseKeyring()
	out.printf("%s\n", d.keyNote)
	for _, p := range demoParts() {
		r, err := p.start(st)
		if err != nil {
			return d, err
		}
		d.remotes = append(d.remotes, r)
		out.printf("simulated %s on %s\n", r.name, r.url)
	}
	cfg := &config.Config{Audit: &config.Audit{VerifyEvery: o.verifyEvery}}
	for _, r := range d.remotes {
		r.configure(cfg)
	}
	if cfg.Rave != nil {
		cfg.Rave.Poll = o.poll
	}
	d.config = filepath.Join(d.dir, "config.toml")
	if _, err := config.Save(d.config, cfg); err != nil {
		return d, fmt.Errorf("demo: %w", err)
	}
	d.agent, err = agent.Open(ctx, agent.Options{
		StorePath:   filepath.Join(d.dir, "trialsync.db"),
		ConfigPath:  d.config,
		LogLevel:    g.logLevel,
		LogDir:      filepath.Join(d.dir, "logs"),
		WrapKeyring: func(k store.Keyring) store.Keyring { d.keyring.Keyring = k; return d.keyring },
	})
	if err != nil {
		return d, err
	}
	g.redact = d.agent.Redact
	if d.keyErr != nil {
		d.agent.Log().Info().Err(d.keyErr).Msg("demo: the OS keyring did not answer; secrets stay in memory")
	}
	for _, r := range d.remotes {
		for _, name := range slices.Sorted(maps.Keys(r.creds)) {
			if err := d.agent.SetCredential(ctx, name, r.creds[name]); err != nil {
				return d, fmt.Errorf("demo: storing %s: %w", name, err)
			}
		}
	}
	if err := d.storeChecklistBaselines(ctx); err != nil {
		return d, fmt.Errorf("demo: the checklists' baselines: %w", err)
	}
	out.printf("store and configuration in %s\n", d.dir)
	return d, nil
}

// chooseKeyring uses the OS keyring under the demo's own service when it answers, and go-keyring's
// in-memory mock otherwise (a machine with no desktop session): the demo must run anywhere, and its
// secrets are the simulators' own. Only the demo ever falls back this way.
func (d *demo) chooseKeyring() {
	d.keyring = &recordingKeyring{names: map[string]bool{}}
	probe := store.NewSystemKeyring(demoKeyringService, nil)
	probe.Timeout = 5 * time.Second
	err := probe.Set("demo.probe", "probe")
	if err == nil {
		err = probe.Delete("demo.probe")
	}
	if err != nil {
		keyring.MockInit()
		d.mockKeys = true
		d.keyNote = "secrets: in memory for this demo only (go-keyring's mock): no OS keyring (Secret Service) answers on this machine"
		d.keyErr = err
		return
	}
	d.keyNote = "secrets: in the OS keyring under the service " + demoKeyringService + " (removed when the demo ends)"
}

// keyringShort is the keyring's place in a few words, for the window's notice.
func (d *demo) keyringShort() string {
	if d.mockKeys {
		return "secrets in memory only (no OS keyring is running)"
	}
	return "secrets in the OS keyring under " + demoKeyringService
}

// close stops the agent and the simulators, removes the demo's keyring entries and, unless kept, its
// directory.
func (d *demo) close(out output) {
	if d.agent != nil {
		if err := d.agent.Close(); err != nil {
			out.printf("trialsync demo: closing: %v\n", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, r := range d.remotes {
		_ = r.shutdown(ctx)
	}
	if d.keyring != nil {
		d.keyring.removeAll()
	}
	if d.dir != "" {
		if d.removeDir {
			_ = os.RemoveAll(d.dir)
		} else {
			out.printf("the demo's store, configuration and logs stay in %s\n", d.dir)
		}
	}
}

// rave is the Rave simulator.
func (d *demo) rave() *simrws.Server {
	for _, r := range d.remotes {
		if r.rws != nil {
			return r.rws
		}
	}
	return nil
}

// loadDemoSeed reads the study description at path, or the built-in one.
func loadDemoSeed(path string) (*seed.Study, error) {
	if path == "" {
		return seed.Parse("built-in demo study", demoSeed)
	}
	return seed.Load(path)
}

// recordingKeyring notes every entry the demo's agent writes, so that the demo can remove them all
// when it ends and leave nothing behind in the OS keyring.
type recordingKeyring struct {
	store.Keyring
	mu    sync.Mutex
	names map[string]bool
}

func (k *recordingKeyring) Set(name, secret string) error {
	k.mu.Lock()
	k.names[name] = true
	k.mu.Unlock()
	return k.Keyring.Set(name, secret)
}

func (k *recordingKeyring) removeAll() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.Keyring == nil {
		return
	}
	for name := range k.names {
		_ = k.Keyring.Delete(name) // best effort: the entries are the demo's own
	}
}
