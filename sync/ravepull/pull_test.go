package ravepull

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/zalando/go-keyring"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/store/storetest"
	"github.com/trialsync/trialsync/sync/rws"
	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

// Unit tests use go-keyring's in-memory mock; the CLI's crash test uses the real Secret Service.
func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode)) // a crash test's child process
	}
	keyring.MockInit()
	os.Exit(m.Run())
}

var study = Study{OID: "ALPHA(Prod)"}

func startSim(t testing.TB, opts simrws.Options) *simrws.Server {
	t.Helper()
	s, err := simrws.Start("127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// client talks to the simulator with fast retries (the waits are the policy's, shortened) and no
// local rate limit to speak of, so fault runs finish in seconds.
func client(t testing.TB, s *simrws.Server, oauth bool) *rws.Client {
	t.Helper()
	o := s.Options()
	auth := rws.BasicAuth(o.User, o.Password)
	if oauth {
		auth = rws.OAuth2ClientCredentials(s.TokenURL(), o.ClientID, o.ClientSecret)
	}
	c, err := rws.New(rws.Config{BaseURL: s.URL(), Auth: auth,
		RequestsPerSecond: 10_000, Burst: 1000, Timeout: 5 * time.Second,
		Retry:   rws.RetryPolicy{InitialInterval: time.Millisecond, MaxInterval: 20 * time.Millisecond, MaxAttempts: 12},
		Breaker: rws.BreakerPolicy{Failures: 50, OpenFor: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// openStore is a fresh store whose audit chain and bbolt consistency are checked when the test ends.
func openStore(t testing.TB) *store.DB {
	t.Helper()
	return storetest.Open(t, store.Options{})
}

func engine(db *store.DB, src Source) *Engine {
	return New(Options{DB: db, Source: src, Log: zerolog.Nop(), RunID: "test-run", PageSize: 200, BatchRows: 100})
}

// dump is the clinical bucket as the export sees it: one line per row, natural-key order.
func dump(t testing.TB, db *store.DB) string {
	t.Helper()
	var b strings.Builder
	err := db.WalkClinical(t.Context(), func(k store.ClinicalKey, v store.ClinicalValue) error {
		fmt.Fprintf(&b, "%q %q %v %q\n", k, v.Value, v.IsNull, v.AuditID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestPullEqualsFaultFreeRunUnderEachFault(t *testing.T) {
	simOpts := simrws.Options{Seed: 7, SubjectsPerSite: 3, Visits: 2}
	ref := openStore(t)
	res, err := engine(ref, client(t, startSim(t, simOpts), false)).Pull(t.Context(), study)
	if err != nil {
		t.Fatal(err)
	}
	want := dump(t, ref)
	if res.Rows == 0 || strings.Count(want, "\n") < 100 {
		t.Fatalf("reference pull too small: %+v, %d rows stored", res, strings.Count(want, "\n"))
	}
	faults := []string{
		"429:0.3",
		"429ra:0.05@1s",
		"503burst:3@0.3",
		"drop:0.2",
		"truncate:0.2",
		"slow:50ms",
		"iis401:0.2",
		"429:0.1,503burst:2@0.1,drop:0.1,truncate:0.1,iis401:0.05",
	}
	for _, f := range faults {
		t.Run(f, func(t *testing.T) {
			o := simOpts
			o.Faults = f
			s := startSim(t, o)
			db := openStore(t)
			pullUntilDone(t, engine(db, client(t, s, false)))
			if got := dump(t, db); got != want {
				t.Fatalf("store under %s differs from the fault-free run:\n%s", f, firstDiff(got, want))
			}
		})
	}
}

// pullUntilDone pulls as the agent's schedule would: a pull that gives up on a bad stretch is run again
// from the committed cursors, until one completes (at most 20 rounds).
func pullUntilDone(t *testing.T, e *Engine) {
	t.Helper()
	var err error
	for round := 1; round <= 20; round++ {
		if _, err = e.Pull(t.Context(), study); err == nil {
			return
		}
		t.Logf("round %d: %v", round, err)
	}
	t.Fatalf("no complete pull in 20 rounds: %v", err)
}

// TestPullWithTokenExpiringMidRun: bearer tokens that stop working long before their stated expiry
// are renewed and the pull completes with the same store.
func TestPullWithTokenExpiringMidRun(t *testing.T) {
	simOpts := simrws.Options{Seed: 7, SubjectsPerSite: 3, Visits: 2}
	ref := openStore(t)
	pullUntilDone(t, engine(ref, client(t, startSim(t, simOpts), false)))
	simOpts.Faults = "expire:150ms,slow:10ms"
	db := openStore(t)
	s := startSim(t, simOpts)
	pullUntilDone(t, engine(db, client(t, s, true)))
	if s.Count("expired") == 0 {
		t.Fatal("no token expired during the run: the test did not exercise renewal")
	}
	if got, want := dump(t, db), dump(t, ref); got != want {
		t.Fatalf("store with expiring tokens differs:\n%s", firstDiff(got, want))
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return fmt.Sprintf("line %d:\n got %s\nwant %s", i+1, g[i], w[i])
		}
	}
	return fmt.Sprintf("got %d lines, want %d", len(g), len(w))
}

// TestReapplyingPagesChangesNothing rewinds the cursors and pulls everything again: the clinical
// bucket stays byte-for-byte the same.
func TestReapplyingPagesChangesNothing(t *testing.T) {
	s := startSim(t, simrws.Options{Seed: 3})
	db := openStore(t)
	e := engine(db, client(t, s, false))
	if _, err := e.Pull(t.Context(), study); err != nil {
		t.Fatal(err)
	}
	before := rawBucket(t, db, store.BucketClinical)
	err := db.Update(t.Context(), func(tx *store.Tx) error {
		for _, f := range []string{FeedAudit, FeedDataset} {
			if err := tx.PutCursor(study.OID, "", f, store.Cursor{}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Pull(t.Context(), study)
	if err != nil {
		t.Fatal(err)
	}
	if res.Written != 0 || res.Rows == 0 {
		t.Fatalf("second pull: %+v, want rows read and none written", res)
	}
	if after := rawBucket(t, db, store.BucketClinical); !bytes.Equal(before, after) {
		t.Fatal("re-applying the pages changed the clinical bucket")
	}
}

func rawBucket(t testing.TB, db *store.DB, name []byte) []byte {
	var b bytes.Buffer
	db.View(t.Context(), func(tx *store.Tx) error {
		return tx.ForEach(name, func(k, v []byte) error {
			b.Write(k)
			b.WriteByte(0xff)
			b.Write(v)
			b.WriteByte(0xfe)
			return nil
		})
	})
	return b.Bytes()
}

func TestIncrementalPullPicksUpNewRecords(t *testing.T) {
	s := startSim(t, simrws.Options{Seed: 5, Visible: 150})
	db := openStore(t)
	e := engine(db, client(t, s, false))
	first, err := e.PullAudit(t.Context(), study)
	if err != nil {
		t.Fatal(err)
	}
	s.Advance(s.TotalRecords())
	second, err := e.PullAudit(t.Context(), study)
	if err != nil {
		t.Fatal(err)
	}
	if first.Rows == 0 || second.Rows == 0 || second.Written == 0 {
		t.Fatalf("first %+v, second %+v: the second pull found nothing new", first, second)
	}
	// A pull from scratch of everything equals the two incremental ones.
	full := openStore(t)
	if _, err := engine(full, client(t, s, false)).PullAudit(t.Context(), study); err != nil {
		t.Fatal(err)
	}
	if got, want := dump(t, db), dump(t, full); got != want {
		t.Fatalf("incremental pulls differ from one full pull:\n%s", firstDiff(got, want))
	}
}

// TestDatasetCommitsInBatches: a dataset answer commits in several transactions (each with its audit
// entry), the cursor moving only with the last, and stores the same rows as one big transaction.
func TestDatasetCommitsInBatches(t *testing.T) {
	s := startSim(t, simrws.Options{Seed: 9, SubjectsPerSite: 20, Visits: 10})
	one := openStore(t)
	if _, err := New(Options{DB: one, Source: client(t, s, false), BatchRows: 1 << 30}).PullDataset(t.Context(), study); err != nil {
		t.Fatal(err)
	}
	db := openStore(t)
	var commits int
	e := New(Options{DB: db, Source: client(t, s, false), BatchRows: 100, Progress: func(p Progress) {
		commits++
		c, _ := New(Options{DB: db}).cursor(t.Context(), study, FeedDataset)
		if (c.Start != "") != p.Done {
			t.Errorf("after commit %d (done=%v) the cursor start is %q: it must move with the last batch only", commits, p.Done, c.Start)
		}
	}})
	res, err := e.PullDataset(t.Context(), study)
	if err != nil {
		t.Fatal(err)
	}
	if commits < 10 || res.Pages != commits {
		t.Fatalf("%d commits for %d rows in batches of 100", commits, res.Rows)
	}
	if got, want := dump(t, db), dump(t, one); got != want {
		t.Fatalf("batched dataset differs:\n%s", firstDiff(got, want))
	}
	es, _ := db.Entries(t.Context(), 0, 1000)
	var batches, finals int
	corr := map[string]bool{}
	for _, e := range es {
		switch e.Action {
		case "pull.batch":
			batches++
		case "pull.dataset":
			finals++
		default:
			continue
		}
		corr[e.CorrelationID] = true
	}
	if len(corr) != 1 || corr[""] {
		t.Fatalf("one answer's batch entries carry correlation IDs %v, want one shared ID", corr)
	}
	if finals != 1 || batches != commits-1 || es[len(es)-1].Action != "pull.dataset" {
		t.Fatalf("%d batch entries and %d final entries for %d commits", batches, finals, commits)
	}
}

// TestSiteFilteredPullKeepsOtherSites: pulling one site, then every site, stores what a pull of every
// site from scratch stores; the one-site pull must not move the all-sites cursor past the other sites.
func TestSiteFilteredPullKeepsOtherSites(t *testing.T) {
	s := startSim(t, simrws.Options{Seed: 4})
	full := openStore(t)
	if _, err := engine(full, client(t, s, false)).Pull(t.Context(), study); err != nil {
		t.Fatal(err)
	}
	db := openStore(t)
	e := engine(db, client(t, s, false))
	one, err := e.Pull(t.Context(), Study{OID: study.OID, Sites: []string{"101"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := dump(t, db); strings.Contains(got, `"102"`) || one.Written == 0 {
		t.Fatalf("site 101 pull stored other sites or nothing (%+v)", one)
	}
	if _, err := e.Pull(t.Context(), study); err != nil {
		t.Fatal(err)
	}
	if got, want := dump(t, db), dump(t, full); got != want {
		t.Fatalf("site pull then full pull differs from a full pull:\n%s", firstDiff(got, want))
	}
}
