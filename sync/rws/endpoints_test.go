package rws

import (
	"bytes"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

func TestVersionStudiesSubjects(t *testing.T) {
	s := startSim(t, simrws.Options{Seed: 3})
	c := newClient(t, testConfig(s, &waits{}))
	ctx := t.Context()

	v, err := c.Version(ctx)
	if err != nil || v != "1.0.0" {
		t.Fatalf("Version = %q, %v", v, err)
	}
	studies, err := c.Studies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(studies) != 1 || studies[0].OID != "ALPHA(Prod)" || studies[0].ProtocolName != "ALPHA" {
		t.Fatalf("Studies = %+v", studies)
	}

	t.Run("names", func(t *testing.T) {
		subs, err := c.Subjects(ctx, "ALPHA(Prod)", SubjectsOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(subs) != 12 || subs[0].Key != "101-001" || subs[0].Site != "101" || subs[11].Site != "103" || subs[0].KeyType != "" {
			t.Fatalf("Subjects = %+v", subs)
		}
	})
	t.Run("uuid keys with status", func(t *testing.T) {
		subs, err := c.Subjects(ctx, "ALPHA(Prod)", SubjectsOptions{UUIDKeys: true, Status: true, Links: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(subs) != 12 {
			t.Fatalf("got %d subjects", len(subs))
		}
		for _, sub := range subs {
			if sub.KeyType != "SubjectUUID" || len(sub.Key) != 36 || !strings.HasPrefix(sub.Name, sub.Site+"-") || sub.Incomplete != "No" {
				t.Errorf("subject %+v", sub)
			}
		}
	})
	t.Run("bad include is refused locally", func(t *testing.T) {
		before := s.Requests()
		if _, err := c.Subjects(ctx, "ALPHA(Prod)", SubjectsOptions{Include: "everything"}); err == nil {
			t.Fatal("no error")
		}
		if s.Requests() != before {
			t.Error("a request was sent")
		}
	})
	t.Run("unknown study", func(t *testing.T) {
		_, err := c.Subjects(ctx, "GAMMA(Prod)", SubjectsOptions{})
		if !errors.Is(err, ErrNotFound) || asError(t, err).ReasonCode != "RWS00014" {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestAuditFeedPaging walks the whole audit feed with a small page size: every record arrives
// exactly once, empty pages still carry a next link, and next links are returned as given, jumps
// included.
func TestAuditFeedPaging(t *testing.T) {
	s := startSim(t, simrws.Options{Seed: 11})
	c := newClient(t, testConfig(s, &waits{}))
	ctx := t.Context()
	const perPage = 40

	var empty, sparse, jumps, pages int
	seen := map[string]bool{}
	p, err := c.AuditRecords(ctx, "ALPHA(Prod)", 1, perPage)
	if err != nil {
		t.Fatal(err)
	}
	start := int64(1)
	for {
		pages++
		b, err := readAll(p)
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		if bytes.HasPrefix(b, []byte("<?xml")) || bytes.HasPrefix(b, utf8BOM) {
			t.Fatalf("audit page starts with a declaration or BOM")
		}
		n := bytes.Count(b, []byte("<ClinicalData "))
		switch {
		case n == 0 && p.Next != "":
			empty++
		case n > 0 && n < perPage:
			sparse++
		}
		for _, m := range sourceID.FindAllSubmatch(b, -1) {
			id := string(m[1])
			if seen[id] {
				t.Fatalf("audit ID %s delivered twice", id)
			}
			seen[id] = true
			if n, _ := strconv.ParseInt(id, 10, 64); n < start || n >= start+perPage {
				t.Fatalf("audit ID %d outside page [%d, %d)", n, start, start+perPage)
			}
		}
		if p.Next == "" {
			break
		}
		u, err := url.Parse(p.Next)
		if err != nil || !strings.HasPrefix(p.Next, s.URL()+"/datasets/ClinicalAuditRecords.odm?") {
			t.Fatalf("next link %q not as served", p.Next)
		}
		if got := u.Query().Get("startid"); got != strconv.FormatInt(p.NextStartID, 10) {
			t.Fatalf("NextStartID %d, link says %s", p.NextStartID, got)
		}
		if p.NextStartID > start+perPage {
			jumps++
		}
		start = p.NextStartID
		if p, err = c.FollowNext(ctx, p.Next); err != nil {
			t.Fatal(err)
		}
	}
	if int64(len(seen)) != s.TotalRecords() {
		t.Errorf("got %d records, study has %d", len(seen), s.TotalRecords())
	}
	if empty == 0 || sparse == 0 {
		t.Errorf("feed had %d empty and %d sparse pages of %d; want some of each", empty, sparse, pages)
	}
	t.Logf("%d pages: %d empty, %d sparse, %d jumps", pages, empty, sparse, jumps)
}

var sourceID = regexpMust(`<SourceID>(\d+)</SourceID>`)

// TestAuditFeedJumps uses a study large enough to contain a hole in the tenant's audit IDs: the next
// link then skips far ahead of startid+per_page, and the client hands it over unchanged.
func TestAuditFeedJumps(t *testing.T) {
	s := startSim(t, simrws.Options{Seed: 5, SubjectsPerSite: 10, Visits: 6})
	c := newClient(t, testConfig(s, &waits{}))
	pages, _ := auditPull(t, c, "ALPHA(Prod)", 1000)
	if got := countRecords(pages); int64(got) != s.TotalRecords() {
		t.Fatalf("got %d records, want %d", got, s.TotalRecords())
	}
	ctx := t.Context()
	p, err := c.AuditRecords(ctx, "ALPHA(Prod)", 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	start, jumped := int64(1), false
	for p.Next != "" {
		_ = p.Body.Close()
		if p.NextStartID > start+1000 {
			jumped = true
		}
		start = p.NextStartID
		if p, err = c.FollowNext(ctx, p.Next); err != nil {
			t.Fatal(err)
		}
	}
	_ = p.Body.Close()
	if !jumped {
		t.Error("no next link jumped ahead")
	}
}

func TestFollowNextRefusesOtherHosts(t *testing.T) {
	s := startSim(t, simrws.Options{})
	c := newClient(t, testConfig(s, &waits{}))
	for _, next := range []string{
		"http://evil.example/RaveWebServices/datasets/ClinicalAuditRecords.odm?startid=5",
		"https://" + s.Addr() + "/RaveWebServices/datasets/ClinicalAuditRecords.odm?startid=5",
		"http://" + s.Addr() + "/Other/datasets/ClinicalAuditRecords.odm?startid=5",
	} {
		before := s.Requests()
		if _, err := c.FollowNext(t.Context(), next); err == nil || !strings.Contains(err.Error(), "outside") {
			t.Errorf("FollowNext(%q) = %v", next, err)
		}
		if s.Requests() != before {
			t.Errorf("FollowNext(%q) sent a request", next)
		}
	}
}

func TestDatasets(t *testing.T) {
	s := startSim(t, simrws.Options{Seed: 2})
	c := newClient(t, testConfig(s, &waits{}))
	ctx := t.Context()

	p, err := c.Dataset(ctx, "ALPHA(Prod)", "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	all, err := readAll(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(all, []byte("<?xml")) {
		t.Errorf("BOM not dropped: % x", all[:4])
	}
	if p.LastUpdated == "" {
		t.Fatal("no X-MWS-CV-Last-Updated")
	}
	last, err := ParseLastUpdated(p.LastUpdated)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`SubjectKey="101-001"`, `SubjectKey="103-004"`, `ItemOID="VS.SYSBP"`, `FormOID="AE"`, `ItemGroupRepeatKey="2"`} {
		if !bytes.Contains(all, []byte(want)) {
			t.Errorf("dataset lacks %s", want)
		}
	}

	t.Run("form", func(t *testing.T) {
		p, err := c.Dataset(ctx, "ALPHA(Prod)", "VS", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := readAll(p)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(`FormOID="DM"`)) || !bytes.Contains(b, []byte(`FormOID="VS"`)) {
			t.Error("form filter not applied")
		}
	})
	t.Run("since", func(t *testing.T) {
		p, err := c.RawDataset(ctx, "ALPHA(Prod)", "", last)
		if err != nil {
			t.Fatal(err)
		}
		if u, _ := url.Parse(p.URL); u.Query().Get("start") != last.Format(StartTimeLayout) {
			t.Errorf("URL %s lacks start", p.URL)
		}
		b, err := readAll(p)
		if err != nil {
			t.Fatal(err)
		}
		if n, m := bytes.Count(b, []byte("<ItemData ")), bytes.Count(all, []byte("<ItemData ")); n == 0 || n >= m {
			t.Errorf("incremental dataset has %d items, full has %d", n, m)
		}
	})
	t.Run("gzip", func(t *testing.T) {
		// The simulator compresses whenever the client accepts gzip, as IIS does; net/http asks for
		// it and undoes it, so the body above was gzip on the wire. Check against an uncompressed run.
		plain := startSim(t, simrws.Options{Seed: 2, NoGzip: true})
		pc := newClient(t, testConfig(plain, &waits{}))
		p, err := pc.Dataset(ctx, "ALPHA(Prod)", "", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := readAll(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(stable(b), stable(all)) {
			t.Error("gzip and plain answers differ")
		}
		if s.Count("gzip") == 0 {
			t.Error("simulator sent no gzip answer")
		}
	})
}
