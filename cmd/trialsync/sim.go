package main

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trialsync/trialsync/sync/sim"
	simchecklist "github.com/trialsync/trialsync/sync/sim/checklist"
	simrws "github.com/trialsync/trialsync/sync/sim/rws"
	"github.com/trialsync/trialsync/sync/sim/seed"
	simsureadhere "github.com/trialsync/trialsync/sync/sim/sureadhere"
)

// newSimCommand is the `sim` group: one subcommand per simulator, each running until interrupted.
func newSimCommand(g *globals) *cobra.Command {
	return group("sim", "Run a simulator of a remote system on loopback (tests, demos, benchmarks)",
		newSimRWSCommand(g),
		newSimSureAdhereCommand(g),
		newSimChecklistCommand(g, simchecklist.EDC, "127.0.0.1:8380"),
		newSimChecklistCommand(g, simchecklist.CTMS, "127.0.0.1:8381"),
	)
}

type simRWSOptions struct {
	addr     string
	faults   string
	seed     int64
	study    string
	sites    string
	subjects int
	visits   int
	user     string
	tokenTTL time.Duration
	forms    string
	noGzip   bool
	seedFile string
	rate     int
}

func newSimRWSCommand(g *globals) *cobra.Command {
	o := &simRWSOptions{}
	c := &cobra.Command{
		Use:   "rws",
		Short: "Run the Rave Web Services simulator (seeded study, Basic and OAuth2 auth, fault injection)",
		Long: `Run the Rave Web Services simulator on a loopback address until interrupted.

It serves a seeded multi-site study under <addr>/RaveWebServices and an OAuth2 token endpoint
(client credentials) at <addr>/oauth2/token. The Basic password is $TRIALSYNC_SIM_RWS_PASSWORD
(default "sim-password"); the OAuth2 client is "trialsync" with secret $TRIALSYNC_SIM_RWS_CLIENT_SECRET
(default "sim-client-secret").

--faults is a comma-separated list of faults (P a probability per request, D a duration such as 2s):
  429:P  429ra:P[@D]  429storm:N[@K]  503burst:N[@P]  drop:P  truncate:P  slow:D[@P]  expire:D
  iis401:P  stall:P  trickle:D[@P]  endless:P  redirect:URL[@P]  close:P  bomb:P  seed:N  txfail:P[@CODE]
stall sends the headers and then nothing; trickle sends the body one byte every D; endless sends a
dataset that never ends; redirect answers 302 to URL; close resets the connection; bomb (subject
listing only) sends 0.4 MB of gzip that inflates to 400 MiB; 429storm answers the K-th request and
the N-1 after it with 429; txfail answers a post HTTP 200 with IsTransactionSuccessful="0" (reason
CODE, default RWS00040) and applies nothing. The full grammar is in the sync/sim package documentation.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.seedFile != "" {
				for _, name := range []string{"seed", "study", "sites", "subjects", "visits", "extra-forms"} {
					if cmd.Flags().Changed(name) {
						return usagef("--seed-file describes the study: drop --%s", name)
					}
				}
			}
			return runSimRWS(cmd.Context(), g.output(), o, cmd.Flags().Changed("faults"))
		},
	}
	f := c.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8378", "loopback address to listen on")
	f.StringVar(&o.faults, "faults", "", `fault spec, e.g. "429:0.1,503burst:3,drop:0.05,truncate:0.05,slow:2s,expire:30s,iis401:0.05"`)
	f.Int64Var(&o.seed, "seed", 1, "seed of the study and of the fault sequence")
	f.StringVar(&o.study, "study", "ALPHA(Prod)", "study OID, Project(Env)")
	f.StringVar(&o.sites, "sites", "101,102,103", "comma-separated site LocationOIDs")
	f.IntVar(&o.subjects, "subjects", 4, "subjects per site")
	f.IntVar(&o.visits, "visits", 3, "repeating visits per subject (scale)")
	f.StringVar(&o.user, "user", "rws.integration", "Basic user name the simulator accepts")
	f.DurationVar(&o.tokenTTL, "token-ttl", time.Hour, "lifetime stated for OAuth2 access tokens")
	f.StringVar(&o.forms, "extra-forms", "EX_INH,EX_RPT", "forms besides DM, RAND, AE, VS that posts may write, with any ItemOID")
	f.BoolVar(&o.noGzip, "no-gzip", false, "never compress answers (benchmarks: gzip costs the simulator CPU)")
	f.StringVar(&o.seedFile, "seed-file", "", "serve the study a seed file describes (testdata/seed/study.toml), with its trouble unless --faults is given")
	f.IntVar(&o.rate, "rate-limit", 0, "state a budget of this many requests per second in X-RateLimit-* headers (0: none, as RWS)")
	return c
}

// runSimRWS serves the simulator until ctx ends, after saying where.
func runSimRWS(ctx context.Context, out output, o *simRWSOptions, faultsGiven bool) error {
	if o.subjects < 1 || o.visits < 1 {
		return usagef("--subjects and --visits must be at least 1")
	}
	var sites []string
	for _, s := range strings.Split(o.sites, ",") {
		if s = strings.TrimSpace(s); s != "" {
			sites = append(sites, s)
		}
	}
	if len(sites) == 0 {
		return usagef("--sites needs at least one site")
	}
	if err := simrws.CheckFaults(o.faults); err != nil {
		return usagef("%v", err)
	}
	if o.tokenTTL < time.Second {
		return usagef("--token-ttl must be at least 1s")
	}
	forms := []string{}
	for _, f := range strings.Split(o.forms, ",") {
		if f = strings.TrimSpace(f); f != "" {
			forms = append(forms, f)
		}
	}
	opts := simrws.Options{Seed: o.seed, Study: o.study, Sites: sites, SubjectsPerSite: o.subjects, Visits: o.visits, ExtraForms: forms, Faults: o.faults}
	if o.seedFile != "" {
		st, err := seed.Load(o.seedFile)
		if err != nil {
			return err
		}
		opts = simrws.FromSeed(st)
		if faultsGiven {
			opts.Faults = o.faults
		}
	}
	opts.User, opts.TokenTTL, opts.NoGzip, opts.RateLimit = o.user, o.tokenTTL, o.noGzip, o.rate
	opts.Password, opts.ClientSecret = os.Getenv("TRIALSYNC_SIM_RWS_PASSWORD"), os.Getenv("TRIALSYNC_SIM_RWS_CLIENT_SECRET")
	s, err := simrws.Start(o.addr, opts)
	if err != nil {
		return err
	}
	opts = s.Options()
	out.printf("rws simulator: %s (token endpoint %s)\n", s.URL(), s.TokenURL())
	out.printf("study %s, sites %s, %d subjects, %d audit records; Basic user %q, OAuth2 client %q\n",
		opts.Study, strings.Join(opts.Sites, ","), len(opts.Sites)*opts.SubjectsPerSite, s.TotalRecords(), opts.User, opts.ClientID)
	if opts.Faults != "" {
		out.printf("faults: %s\n", opts.Faults)
	}
	return serveUntilDone(ctx, s.Shutdown)
}

// serveUntilDone waits for the command's context to end (an interrupt), then stops the simulator
// gracefully.
func serveUntilDone(ctx context.Context, shutdown func(context.Context) error) error {
	<-ctx.Done()
	stop, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return shutdown(stop)
}

// simCommonOptions are the flags every JSON simulator takes.
type simCommonOptions struct {
	addr, faults, seedFile string
}

func (o *simCommonOptions) addFlags(f *pflag.FlagSet, addr string) {
	f.StringVar(&o.addr, "addr", addr, "loopback address to listen on")
	f.StringVar(&o.faults, "faults", "", `fault spec, e.g. "429ra:0.1@2s,503burst:3,drop:0.05,slow:200ms" (grammar: trialsync sim rws --help)`)
	f.StringVar(&o.seedFile, "seed-file", "", "serve the study a seed file describes (testdata/seed/study.toml)")
}

// load checks the fault spec and loads the seed file, if any.
func (o *simCommonOptions) load() (*seed.Study, error) {
	if _, err := sim.ParseFaults(o.faults, 1); err != nil {
		return nil, usagef("%v", err)
	}
	if o.seedFile == "" {
		return nil, nil
	}
	return seed.Load(o.seedFile)
}

type simSureAdhereOptions struct {
	simCommonOptions
	rate  float64
	burst int
}

func newSimSureAdhereCommand(g *globals) *cobra.Command {
	o := &simSureAdhereOptions{}
	c := &cobra.Command{
		Use:   "sureadhere",
		Short: "Run the SureAdhere patient-ingest simulator (token per workspace, per-address throttling, fault injection)",
		Long: `Run the SureAdhere simulator on a loopback address until interrupted.

It serves POST /treatment/ingest/mrn_regimen ({"mrn","regimen","site_code"}, header MRNIntegrationToken):
201 for a new patient, 409 for an MRN the workspace already has, 400 for a bad token or body, 429 with
Retry-After over --rate requests per second from one address. The token is
$TRIALSYNC_SIM_SUREADHERE_TOKEN (default "sim-sureadhere-token"). GET /sim/patients lists the
registered patients.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSimSureAdhere(cmd.Context(), g.output(), o) },
	}
	o.addFlags(c.Flags(), "127.0.0.1:8379")
	c.Flags().Float64Var(&o.rate, "rate", 10, "requests per second one address may send (negative: no throttling)")
	c.Flags().IntVar(&o.burst, "burst", 20, "requests one address may send at once")
	return c
}

func runSimSureAdhere(ctx context.Context, out output, o *simSureAdhereOptions) error {
	st, err := o.load()
	if err != nil {
		return err
	}
	if o.rate == 0 || o.burst < 1 {
		return usagef("--rate must not be 0 and --burst must be at least 1")
	}
	opts := simsureadhere.Options{}
	if st != nil {
		opts = simsureadhere.FromSeed(st)
	}
	opts.Token, opts.Faults, opts.Rate, opts.Burst = os.Getenv("TRIALSYNC_SIM_SUREADHERE_TOKEN"), o.faults, o.rate, o.burst
	s, err := simsureadhere.Start(o.addr, opts)
	if err != nil {
		return err
	}
	opts = s.Options()
	out.printf("sureadhere simulator: %s%s\n", s.URL(), simsureadhere.IngestPath)
	out.printf("workspace %s, sites %s, regimens %s\n", opts.Workspace, strings.Join(opts.Sites, ","), strings.Join(opts.Regimens, ", "))
	return serveUntilDone(ctx, s.Shutdown)
}

type simChecklistOptions struct {
	simCommonOptions
	studyID   string
	synthetic int
	drift     float64
	seed      int64
}

func newSimChecklistCommand(g *globals, sys simchecklist.System, addr string) *cobra.Command {
	o := &simChecklistOptions{}
	name := string(sys)
	c := &cobra.Command{
		Use:   name,
		Short: "Run the " + sys.Label() + " checklist simulator (paged list, idempotent PUT, bearer token, fault injection)",
		Long: `Run the ` + sys.Label() + ` checklist simulator on a loopback address until interrupted.

It serves GET /v1/checklist-items?study_id=S&limit=N[&cursor=C] and PUT /v1/checklist-items/{site}/{code}
(Idempotency-Key required) in the ` + sys.Label() + `'s field names and vocabulary, with the bearer token
$TRIALSYNC_SIM_` + strings.ToUpper(name) + `_TOKEN (default "sim-` + name + `-token"). POST /sim/edits plays its users;
GET /sim/items reads its items back. --synthetic N serves N generated items (the reconcile benchmark);
run the EDC and the CTMS with the same --seed and --drift to get two sides that agree but for the drift.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSimChecklist(cmd.Context(), g.output(), sys, o) },
	}
	o.addFlags(c.Flags(), addr)
	f := c.Flags()
	f.StringVar(&o.studyID, "study-id", "", `study_id the listing answers for (default "ALPHA", or the seed file's)`)
	f.IntVar(&o.synthetic, "synthetic", 0, "serve this many generated items instead of the seed's")
	f.Float64Var(&o.drift, "drift", 0, "with --synthetic, the fraction of items changed on one side since the last reconciliation")
	f.Int64Var(&o.seed, "seed", 1, "seed of generated items and of the fault sequence")
	return c
}

func runSimChecklist(ctx context.Context, out output, sys simchecklist.System, o *simChecklistOptions) error {
	st, err := o.load()
	if err != nil {
		return err
	}
	if o.synthetic < 0 || o.drift < 0 || o.drift > 1 || (o.synthetic > 0 && st != nil) {
		return usagef("--synthetic is a number of items, --drift a fraction from 0 to 1, and --synthetic does not go with --seed-file")
	}
	opts := simchecklist.Options{System: sys, Seed: o.seed}
	switch {
	case st != nil:
		opts = simchecklist.FromSeed(st, sys)
	case o.synthetic > 0:
		opts.Items = seed.SyntheticChecklist(o.seed, o.synthetic, o.drift)
	}
	if o.studyID != "" {
		opts.StudyID = o.studyID
	}
	opts.Token, opts.Faults = os.Getenv("TRIALSYNC_SIM_"+strings.ToUpper(string(sys))+"_TOKEN"), o.faults
	s, err := simchecklist.Start(o.addr, opts)
	if err != nil {
		return err
	}
	out.printf("%s simulator: %s/v1/checklist-items\n", sys, s.URL())
	out.printf("study %s, %d sites, %d items\n", s.Options().StudyID, len(s.Options().Sites), s.Len())
	return serveUntilDone(ctx, s.Shutdown)
}
