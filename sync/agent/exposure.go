package agent

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/config"
	"github.com/trialsync/trialsync/sync/exposure"
	"github.com/trialsync/trialsync/sync/outbox"
)

// EngineExposure is the exposure intake's engine: the loopback HTTP door for dose records.
const EngineExposure = "exposure"

// IntakeCredential is the keyring entry holding the bearer token the exposure intake requires.
const IntakeCredential = "intake.token"

// exposureKind registers exposure log lines as an outbound kind: sent to Rave through the agent's one
// RWS client, the pull's, so that both share its breaker, rate limit and offline state.
func exposureKind() outboxKind {
	return outboxKind{
		kind: outbox.KindExposure, title: "exposures to Rave", remote: RemoteRave,
		configured:  func(cfg *config.Config) bool { return cfg.Exposure != nil && cfg.Rave != nil },
		credentials: func(cfg *config.Config) []string { return []string{raveCredential(cfg.Rave)} },
		ready: func(ctx context.Context, a *Agent) error {
			_, err := a.rave.get(ctx)
			return err
		},
		sender: func(a *Agent, cfg *config.Config, db *store.DB) (outbox.Sender, outbox.Policy) {
			lines := exposure.NewLines(db, cfg.Exposure.StudyOID, a.queued)
			client := func(ctx context.Context) (exposure.Poster, error) {
				c, err := a.rave.get(ctx)
				if err != nil {
					return nil, err
				}
				return c, nil
			}
			return exposure.NewSender(lines, exposure.NewMapping(cfg.Exposure), client),
				outbox.Policy{MaxAttempts: cfg.Exposure.MaxAttempts}
		},
	}
}

// exposureEngine registers the exposure intake: with [exposure] intake_addr set, a service listening on
// that loopback address for POST /v1/exposures, with the bearer token of keyring entry intake.token.
func exposureEngine() Engine {
	return Engine{
		Name:    EngineExposure,
		Title:   "Exposure intake",
		Section: "[exposure] with intake_addr",
		Configured: func(cfg *config.Config) bool {
			return cfg.Exposure != nil && cfg.Exposure.IntakeAddr != ""
		},
		Services: func(a *Agent, cfg *config.Config, _ Scope) ([]ServiceSpec, error) {
			addr := cfg.Exposure.IntakeAddr
			if err := exposure.CheckLoopback(addr); err != nil {
				return nil, err
			}
			return []ServiceSpec{{
				Name: "Exposure intake " + addr, Engine: EngineExposure, Subject: addr,
				Credentials: []string{IntakeCredential}, Every: 5 * time.Second,
				Run: func(ctx context.Context) (Summary, error) { return a.serveIntake(ctx, cfg, addr) },
			}}, nil
		},
	}
}

// serveIntake listens on addr (loopback only) and serves the intake until ctx ends. The token comes
// from the keyring each time the service starts (setting it again restarts a service stopped for want
// of it); the server bounds how long a client may take to send its headers and body.
func (a *Agent) serveIntake(ctx context.Context, cfg *config.Config, addr string) (Summary, error) {
	token, err := a.Credential(IntakeCredential)
	if err != nil {
		return Summary{}, err
	}
	lines, err := a.ExposureLines(ctx)
	if err != nil {
		return Summary{}, err
	}
	in, err := exposure.NewIntake(token, exposure.Rules{Drugs: cfg.Exposure.Drugs}, lines)
	if err != nil {
		return Summary{}, Fatal(err)
	}
	ln, err := exposure.ListenLoopback(ctx, addr)
	if err != nil {
		if exposure.CheckLoopback(addr) != nil {
			return Summary{}, Fatal(err)
		}
		return Summary{}, err // in use, say: tried again after a backoff
	}
	srv := &http.Server{Handler: in, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 16 << 10,
		ErrorLog: log.New(a.log, "exposure intake: ", 0)}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	a.log.Info().Str("addr", ln.Addr().String()).Msg("exposure intake listening")
	sum := Summary{Text: "listening on " + ln.Addr().String()}
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		return sum, ctx.Err()
	case err := <-served:
		return sum, fmt.Errorf("exposure intake on %s: %w", addr, err)
	}
}

// ExposureLines returns the exposure queue over the agent's store; [exposure] must be configured.
func (a *Agent) ExposureLines(ctx context.Context) (*exposure.Lines, error) {
	cfg, err := a.Config()
	if err != nil {
		return nil, err
	}
	if cfg.Exposure == nil {
		return nil, fmt.Errorf("%s: no [exposure] section: dose records have nowhere to go", cfg.Path)
	}
	db, err := a.Store(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := a.Outbox(ctx); err != nil { // so that queued records wake its deliveries
		return nil, err
	}
	return exposure.NewLines(db, cfg.Exposure.StudyOID, a.queued), nil
}

// ExposureRules are the checks dose records get ([exposure] drugs).
func (a *Agent) ExposureRules() (exposure.Rules, error) {
	cfg, err := a.Config()
	if err != nil {
		return exposure.Rules{}, err
	}
	if cfg.Exposure == nil {
		return exposure.Rules{}, fmt.Errorf("%s: no [exposure] section: dose records have nowhere to go", cfg.Path)
	}
	return exposure.Rules{Drugs: cfg.Exposure.Drugs}, nil
}

// ImportResult is what an import of a dose-record file did.
type ImportResult struct {
	Imported, Rejected int
}

// ImportExposures reads a CSV or JSON Lines file of dose records and queues the valid ones (see
// exposure.Import), calling reject with each rejected record in file order. A problem with the file
// itself is returned after the records read before it were queued.
func (a *Agent) ImportExposures(ctx context.Context, path string, reject func(exposure.Entry)) (ImportResult, error) {
	rules, err := a.ExposureRules()
	if err != nil {
		return ImportResult{}, err
	}
	lines, err := a.ExposureLines(ctx)
	if err != nil {
		return ImportResult{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return ImportResult{}, fmt.Errorf("dose records: %w", err)
	}
	defer f.Close()
	d, err := exposure.NewDecoder(f, path, rules)
	if err != nil {
		return ImportResult{}, err
	}
	n, bad, err := exposure.Import(ctx, d, lines, path, reject)
	a.refreshAudit(ctx)
	return ImportResult{Imported: n, Rejected: bad}, err
}

// EnterExposure checks a dose record entered by the person at the keyboard and queues it, on their
// behalf (audited as theirs). A record that fails the checks is an *exposure.Invalid naming each
// field's problem, and nothing is stored.
func (a *Agent) EnterExposure(ctx context.Context, in exposure.Input) (exposure.Record, error) {
	rules, err := a.ExposureRules()
	if err != nil {
		return exposure.Record{}, err
	}
	rec, err := rules.Check(in)
	if err != nil {
		return exposure.Record{}, err
	}
	lines, err := a.ExposureLines(ctx)
	if err != nil {
		return exposure.Record{}, err
	}
	if _, err := lines.ImportAs(ctx, a.actor, []exposure.Record{rec}, "entered by "+a.actor); err != nil {
		return exposure.Record{}, err
	}
	a.refreshAudit(ctx)
	return rec, nil
}

// IsInvalid reports whether err is a dose record's failed checks, and returns them.
func IsInvalid(err error) (*exposure.Invalid, bool) {
	var inv *exposure.Invalid
	ok := errors.As(err, &inv)
	return inv, ok
}
