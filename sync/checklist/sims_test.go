package checklist

import (
	"testing"
	"time"

	"github.com/trialsync/trialsync/sync/remote"
	simchecklist "github.com/trialsync/trialsync/sync/sim/checklist"
	"github.com/trialsync/trialsync/sync/sim/seed"
	"github.com/trialsync/trialsync/sync/sim/simtest"
)

// The tests of the orchestrator run against the EDC and CTMS simulators on loopback (real HTTP
// servers, sync/sim/checklist), never against mocks.

func demoStudy(t testing.TB) *seed.Study { return simtest.DemoStudy(t) }

func startSim(t testing.TB, opts simchecklist.Options) *simchecklist.Server {
	return simtest.Start(t, simchecklist.Start, opts)
}

// fastRetries keeps the tests' retries short: Retry-After is still honoured (the simulators ask for
// one second at most), backoff starts at 5 ms.
var fastRetries = remote.RetryPolicy{InitialInterval: 5 * time.Millisecond, MaxInterval: 50 * time.Millisecond}

// newRemote is a client of sim speaking as system sys through adapter ad, pageSize items a page.
func newRemote(t testing.TB, sim *simchecklist.Server, ad *Adapter, pageSize int) *Remote {
	t.Helper()
	cfg := ClientConfig(ad.System(), sim.URL(), sim.Options().Token)
	cfg.Retry = fastRetries
	rc, err := remote.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rc.Close() })
	return NewRemote(rc, ad, pageSize)
}
