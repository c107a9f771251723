package ravepull

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/rws"
)

// pageServer is a loopback RWS that serves hand-made audit pages by startid, with the subject listing of
// testdata/subjects.xml. link says what each page's Link header points to ("" for none, a startid for a
// page of this server, or a whole URL); body, when set, replaces a page's ODM.
type pageServer struct {
	*httptest.Server
	mu      sync.Mutex
	link    map[int]string
	body    map[int]string
	fetched map[int]int
}

func newPageServer(t *testing.T) *pageServer {
	t.Helper()
	subjects, err := os.ReadFile("testdata/subjects.xml")
	if err != nil {
		t.Fatal(err)
	}
	ps := &pageServer{link: map[int]string{}, body: map[int]string{}, fetched: map[int]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/RaveWebServices/studies/ALPHA(Prod)/subjects", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.Write(subjects)
	})
	mux.HandleFunc("/RaveWebServices/datasets/ClinicalAuditRecords.odm", func(w http.ResponseWriter, r *http.Request) {
		start, _ := strconv.Atoi(r.URL.Query().Get("startid"))
		ps.mu.Lock()
		ps.fetched[start]++
		link, body := ps.link[start], ps.body[start]
		ps.mu.Unlock()
		if body == "" {
			body = auditPage(start)
		}
		switch {
		case link == "":
		case strings.Contains(link, "://"):
			w.Header().Set("Link", "<"+link+`>; rel="next"`)
		default:
			w.Header().Set("Link", "<"+ps.pageURL(link)+`>; rel="next"`)
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, body)
	})
	ps.Server = httptest.NewServer(mux) // listens on 127.0.0.1
	t.Cleanup(ps.Close)
	return ps
}

func (ps *pageServer) pageURL(startID string) string {
	return ps.URL + "/RaveWebServices/datasets/ClinicalAuditRecords.odm?studyoid=ALPHA%28Prod%29&startid=" + startID + "&per_page=10"
}

// stored is how the cursor holds the link to a page: the client's checked form of it.
func (ps *pageServer) stored(t *testing.T, c Source, startID string) string {
	t.Helper()
	s, err := c.CheckNext(ps.pageURL(startID))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (ps *pageServer) set(start int, link string) {
	ps.mu.Lock()
	ps.link[start] = link
	ps.mu.Unlock()
}

func (ps *pageServer) fetches(start int) int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.fetched[start]
}

func (ps *pageServer) client(t *testing.T) *rws.Client {
	t.Helper()
	c, err := rws.New(rws.Config{BaseURL: ps.URL + "/RaveWebServices", Auth: rws.BasicAuth("u", "p"), Timeout: 5 * time.Second,
		RequestsPerSecond: 1000, Burst: 100})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// auditPage is one audit record of subject 101-001, item IT<start>, audit ID start.
func auditPage(start int) string {
	return fmt.Sprintf(`<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:mdsol="http://www.mdsol.com/ns/odm/metadata" ODMVersion="1.3" FileType="Transactional" FileOID="f%d" CreationDateTime="2024-11-03T09:15:00">
<ClinicalData StudyOID="ALPHA(Prod)" MetaDataVersionOID="12" mdsol:AuditSubCategoryName="Entered"><SubjectData SubjectKey="101-001"><SiteRef LocationOID="101"/>
<StudyEventData StudyEventOID="SCREEN"><FormData FormOID="VS" FormRepeatKey="1"><ItemGroupData ItemGroupOID="VS"><ItemData ItemOID="IT%d" Value="v%d">
<AuditRecord><UserRef UserOID="crc.jones"/><LocationRef LocationOID="101"/><DateTimeStamp>2024-11-03T09:12:44</DateTimeStamp><ReasonForChange/><SourceID>%d</SourceID></AuditRecord>
</ItemData></ItemGroupData></FormData></StudyEventData></SubjectData></ClinicalData>
</ODM>
`, start, start, start, start)
}

func auditCursor(t *testing.T, db *store.DB) store.Cursor {
	t.Helper()
	c, err := New(Options{DB: db}).cursor(t.Context(), study, FeedAudit)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRefusedNextLinkLeavesCursorUsable: a page whose next link points to another host stops the pull
// with an error, but the link is never stored: the cursor stays on that page, so once the server gives
// an honest link again the next pull goes on from there.
func TestRefusedNextLinkLeavesCursorUsable(t *testing.T) {
	ps := newPageServer(t)
	ps.set(1, "2")
	ps.set(2, "https://elsewhere.example.org/RaveWebServices/datasets/ClinicalAuditRecords.odm?studyoid=ALPHA%28Prod%29&startid=3&per_page=10")
	db := openStore(t)
	c := ps.client(t)
	e := engine(db, c)
	_, err := e.PullAudit(t.Context(), study)
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("pull with a foreign next link: %v", err)
	}
	if cur := auditCursor(t, db); cur.Next != ps.stored(t, c, "2") || strings.Contains(cur.Next, "elsewhere") {
		t.Fatalf("cursor after the refused link: %q, want page 2's own address", cur.Next)
	}
	if got := dump(t, db); !strings.Contains(got, `"IT1"`) || !strings.Contains(got, `"IT2"`) {
		t.Fatalf("pages before the refused link not stored:\n%s", got)
	}

	ps.set(2, "3") // the tenant answers honestly again
	res, err := e.PullAudit(t.Context(), study)
	if err != nil {
		t.Fatalf("pull after the link was fixed: %v", err)
	}
	if got := dump(t, db); !strings.Contains(got, `"IT3"`) || res.Written != 1 {
		t.Fatalf("page 3 not reached (%+v):\n%s", res, got)
	}
	if cur := auditCursor(t, db); cur.Next != ps.stored(t, c, "3") {
		t.Fatalf("cursor at the end: %q", cur.Next)
	}
}

// TestNextLinkCycleStops: pages whose next links lead back (1 -> 2 -> 3 -> 2, and a page linking to
// itself) end the pull with ErrNextCycle after reading each page once, instead of pulling for ever.
func TestNextLinkCycleStops(t *testing.T) {
	for _, tc := range []struct {
		name  string
		links map[int]string
		last  string // the page the cursor must stay on
	}{
		{"back to an earlier page", map[int]string{1: "2", 2: "3", 3: "2"}, "3"},
		{"to itself", map[int]string{1: "2", 2: "2"}, "2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := newPageServer(t)
			for p, l := range tc.links {
				ps.set(p, l)
			}
			db := openStore(t)
			c := ps.client(t)
			_, err := engine(db, c).PullAudit(t.Context(), study)
			if !errors.Is(err, ErrNextCycle) {
				t.Fatalf("pull over a link cycle: %v", err)
			}
			for p := range tc.links {
				if n := ps.fetches(p); n != 1 {
					t.Errorf("page %d fetched %d times", p, n)
				}
			}
			if cur := auditCursor(t, db); cur.Next != ps.stored(t, c, tc.last) {
				t.Fatalf("cursor after the cycle: %q, want page %s", cur.Next, tc.last)
			}
		})
	}
}

// TestMalformedAnswerNotFetchedAgain: an answer that arrives whole but is not well-formed (a DOCTYPE
// with an internal subset, which the reader refuses) is fetched once, not three times, and the error
// says where and why instead of "answer body incomplete".
func TestMalformedAnswerNotFetchedAgain(t *testing.T) {
	ps := newPageServer(t)
	ps.mu.Lock()
	ps.body[1] = "<!DOCTYPE ODM [<!ENTITY boom \"x\">]>\n" + auditPage(1)
	ps.mu.Unlock()
	db := openStore(t)
	_, err := engine(db, ps.client(t)).PullAudit(t.Context(), study)
	if !errors.Is(err, ErrMalformed) || errors.Is(err, ErrBody) {
		t.Fatalf("pull of a malformed answer: %v", err)
	}
	if !strings.Contains(err.Error(), "1:") || !strings.Contains(err.Error(), "internal subset") {
		t.Fatalf("error does not give line:col and the reason: %v", err)
	}
	if n := ps.fetches(1); n != 1 {
		t.Fatalf("the malformed answer was fetched %d times", n)
	}
	if c := auditCursor(t, db); c.Next != "" || dump(t, db) != "" {
		t.Fatalf("something was stored from a malformed answer: cursor %+v", c)
	}
}
