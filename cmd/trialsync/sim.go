package main

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trialsync/trialsync/sync/sim"
)

// newSimCommand is the `sim` group: one subcommand per simulator, each running until interrupted.
func newSimCommand(g *globals) *cobra.Command {
	return group("sim", "Run a simulator of a remote system on loopback (tests, demos, benchmarks)",
		newSimRWSCommand(g),
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
(default "sim-client-secret"). The fault grammar is described in the sim package documentation.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSimRWS(cmd.Context(), g, o)
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
	f.IntVar(&o.rate, "rate-limit", 0, "state a budget of this many requests per second in X-RateLimit-* headers (0: none, as RWS)")
	return c
}

func runSimRWS(ctx context.Context, g *globals, o *simRWSOptions) error {
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
	if _, err := sim.ParseFaults(o.faults, o.seed); err != nil {
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
	s, err := sim.StartRWS(o.addr, sim.RWSOptions{
		Seed: o.seed, Study: o.study, Sites: sites, SubjectsPerSite: o.subjects, Visits: o.visits, Faults: o.faults,
		User: o.user, Password: os.Getenv("TRIALSYNC_SIM_RWS_PASSWORD"), ClientSecret: os.Getenv("TRIALSYNC_SIM_RWS_CLIENT_SECRET"),
		TokenTTL: o.tokenTTL, ExtraForms: forms, NoGzip: o.noGzip, RateLimit: o.rate,
	})
	if err != nil {
		return err
	}
	opts := s.Options()
	g.printf("rws simulator: %s (token endpoint %s)\n", s.URL(), s.TokenURL())
	g.printf("study %s, sites %s, %d subjects, %d audit records; Basic user %q, OAuth2 client %q\n",
		opts.Study, strings.Join(opts.Sites, ","), len(opts.Sites)*opts.SubjectsPerSite, s.TotalRecords(), opts.User, opts.ClientID)
	if o.faults != "" {
		g.printf("faults: %s\n", o.faults)
	}
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Shutdown(shutdown)
}
