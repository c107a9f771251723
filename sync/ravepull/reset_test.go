package ravepull

import (
	"strings"
	"testing"

	"github.com/trialsync/trialsync/store"
	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

// TestResetCursor: a reset forgets one feed's position with an audit entry naming the old position,
// who and why; the next pull reads that feed from its first page again, and the store ends as it was.
func TestResetCursor(t *testing.T) {
	db := openStore(t)
	e := engine(db, client(t, startSim(t, simrws.Options{Seed: 4, SubjectsPerSite: 2, Visits: 1}), false))
	st := Study{OID: study.OID, Sites: []string{"102", "101"}}
	if _, err := e.Pull(t.Context(), st); err != nil {
		t.Fatal(err)
	}
	before := dump(t, db)
	cursor := func(feed string) (store.Cursor, bool) {
		t.Helper()
		var c store.Cursor
		var ok bool
		err := db.View(t.Context(), func(tx *store.Tx) error {
			var err error
			c, ok, err = tx.Cursor(st.OID, "101,102", feed)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return c, ok
	}
	was, ok := cursor(FeedAudit)
	if !ok || was.Next == "" {
		t.Fatalf("no audit cursor after a pull: %+v", was)
	}

	old, ok, err := e.ResetCursor(t.Context(), st, FeedAudit, "crc.jones", "the tenant moved to a new address")
	if err != nil || !ok || old != was.Next {
		t.Fatalf("reset: old %q ok %v err %v, want the stored next link %q", old, ok, err, was.Next)
	}
	if _, ok := cursor(FeedAudit); ok {
		t.Fatal("the audit cursor is still stored after the reset")
	}
	if _, ok := cursor(FeedDataset); !ok {
		t.Fatal("resetting the audit feed forgot the dataset's cursor too")
	}
	entries, err := db.Entries(t.Context(), 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	last := entries[len(entries)-1]
	if last.Action != store.ActionCursorReset || last.Object != "ALPHA(Prod)/audit sites 101,102" || last.Old != was.Next ||
		last.Actor != "crc.jones" || last.Reason != "the tenant moved to a new address" {
		t.Fatalf("audit entry %+v", last)
	}

	res, err := e.PullAudit(t.Context(), st)
	if err != nil {
		t.Fatal(err)
	}
	if res.Pages == 0 || res.Rows == 0 || res.Written != 0 {
		t.Fatalf("the pull after the reset read %+v: want every page again and no row changed", res)
	}
	if after := dump(t, db); after != before {
		t.Fatalf("the store changed after reading the feed again:\n%s", firstLineDiff(before, after))
	}

	// A feed that has not started has nothing to forget: no entry is written.
	entries, _ = db.Entries(t.Context(), 0, 1<<20)
	n := len(entries)
	if _, ok, err := e.ResetCursor(t.Context(), Study{OID: "OTHER(Prod)"}, FeedDataset, "crc.jones", "r"); err != nil || ok {
		t.Fatalf("reset of a feed never pulled: ok %v err %v", ok, err)
	}
	if _, _, err := e.ResetCursor(t.Context(), st, "both", "crc.jones", "r"); err == nil || !strings.Contains(err.Error(), `feed "both"`) {
		t.Fatalf("reset of an unknown feed: %v", err)
	}
	if entries, _ = db.Entries(t.Context(), 0, 1<<20); len(entries) != n {
		t.Fatalf("a reset with nothing to forget wrote %+v", entries[n:])
	}
}

func firstLineDiff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(x), len(y)) {
		if x[i] != y[i] {
			return "- " + x[i] + "\n+ " + y[i]
		}
	}
	return "lengths differ"
}
