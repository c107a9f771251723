package ravepull

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/rws"
)

// Source is the part of the RWS client the engine reads from (the feeds below are what it reads).
type Source interface {
	AuditRecords(ctx context.Context, study string, startID int64, perPage int) (*rws.Page, error)
	FollowNext(ctx context.Context, next string) (*rws.Page, error)
	// CheckNext validates a next link (it must lead to the tenant's own origin) and returns the form
	// to store as the cursor. A link is checked before it is stored, so a refused one never becomes
	// the cursor that every later pull would fail on.
	CheckNext(next string) (string, error)
	Dataset(ctx context.Context, study, formOID string, since time.Time) (*rws.Page, error)
	Subjects(ctx context.Context, study string, opts rws.SubjectsOptions) ([]rws.Subject, error)
}

// Study is one configured study and the sites to keep (empty: every site).
type Study struct {
	OID   string
	Sites []string
}

// cursorSite keys a study's cursors by the sites it keeps: a pull of site 101 alone must not move the
// cursor of a pull of every site past records of the other sites it skipped. "" means every site.
func (st Study) cursorSite() string {
	sites := slices.Clone(st.Sites)
	slices.Sort(sites)
	return strings.Join(slices.Compact(sites), ",")
}

// object names one feed of st in audit entries: "ALPHA(Prod)/audit", "ALPHA(Prod)/audit sites 101".
func (st Study) object(feed string) string {
	if s := st.cursorSite(); s != "" {
		return st.OID + "/" + feed + " sites " + s
	}
	return st.OID + "/" + feed
}

// Options configure an Engine.
type Options struct {
	DB       *store.DB
	Source   Source
	Log      zerolog.Logger
	RunID    string
	Actor    string // recorded on audit entries; "agent" when empty
	PageSize int    // per_page for audit records; 1000 when zero
	// BatchRows is about how many rows one transaction writes: a dataset answer commits in batches of
	// about this many rows, and consecutive audit pages group up to it; 50,000 when zero.
	BatchRows int
	// GroupWait is how long a group of audit pages stays open for more pages, so that a slow remote
	// still commits often; 1 s when zero.
	GroupWait time.Duration
	// PageAttempts is how many times a page whose body failed (cut, truncated) is fetched again before
	// the pull stops; 3 when zero. Status-level retries happen inside the RWS client.
	PageAttempts int
	// Progress, when set, receives a report after every committed group of pages or batch.
	Progress func(Progress)
}

// Progress reports one feed's advance.
type Progress struct {
	Study, Feed string
	Pages       int
	Rows        int // rows read
	Written     int // rows that changed the store
	Quarantined int
	Done        bool
}

// Result sums up one pull of one feed.
type Result struct {
	Pages, Rows, Written, Quarantined int
}

// Feed names, as stored in cursors and shown in progress.
const (
	FeedAudit   = "audit"
	FeedDataset = "dataset"
)

// Engine pulls configured studies into the store. It keeps no state between calls; pull one study
// from one goroutine at a time (the agent holds a lock per study).
type Engine struct {
	opts Options
	// inCommit, when set (by the crash test's child process), is called inside each transaction after
	// all of its writes, with the number of pages or batches it holds.
	inCommit func(parts int)
	// inMerge, when set, is called inside each transaction of a merge of staged rows, after its
	// writes; last says whether it merges the last rows.
	inMerge func(last bool)
	// mergeBytes and mergeAt, when set (by tests), replace mergeTxBytes and mergeAt: small merge
	// transactions, and merges during a pull.
	mergeBytes int
	mergeAt    int64
}

// New returns an engine with defaults applied.
func New(opts Options) *Engine {
	if opts.PageSize <= 0 {
		opts.PageSize = 1000
	}
	if opts.BatchRows <= 0 {
		opts.BatchRows = 50_000
	}
	if opts.GroupWait <= 0 {
		opts.GroupWait = time.Second
	}
	if opts.PageAttempts <= 0 {
		opts.PageAttempts = 3
	}
	if opts.Actor == "" {
		opts.Actor = "agent"
	}
	return &Engine{opts: opts}
}

// Pull runs both feeds of a study once: the dataset first (the current values), then the audit
// records (who changed what, when, and why).
func (e *Engine) Pull(ctx context.Context, st Study) (Result, error) {
	d, err := e.PullDataset(ctx, st)
	if err != nil {
		return d, err
	}
	a, err := e.PullAudit(ctx, st)
	return Result{d.Pages + a.Pages, d.Rows + a.Rows, d.Written + a.Written, d.Quarantined + a.Quarantined}, err
}

// fileSize is the store file's size (0 when it cannot be read).
func (e *Engine) fileSize() int64 {
	var n int64
	_ = e.opts.DB.View(context.Background(), func(tx *store.Tx) error { n = tx.FileSize(); return nil })
	return n
}

func (e *Engine) report(p Progress) {
	if e.opts.Progress != nil {
		e.opts.Progress(p)
	}
}
