package checklist

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/trialsync/trialsync/sync/sim/seed"
)

// TestPagingWhileItemsChange pages through 100,000 items, 1,000 at a time, while users edit items,
// delete items not yet served and create items before and after the cursor between pages. Every
// item that was there from start to end is served exactly once, no item is served twice, and keys
// only ascend.
func TestPagingWhileItemsChange(t *testing.T) {
	const n = 100_000
	items := seed.SyntheticChecklist(3, n, 0.01)
	s := start(t, Options{System: EDC, Items: items})
	if s.Len() != n {
		t.Fatalf("%d items", s.Len())
	}
	deleted := map[string]bool{}
	created := map[string]bool{}
	createdBehind := map[string]bool{}
	seen := map[string]bool{}
	last := ""
	cursor := ""
	for pageNo := 0; ; pageNo++ {
		a := call(t, s, "GET", "/v1/checklist-items?study_id=ALPHA&limit=1000"+cursor, "")
		var p struct {
			Items []struct {
				Site string `json:"siteId"`
				Code string `json:"code"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		if a.Err != nil || a.Status != 200 || json.Unmarshal(a.Body, &p) != nil {
			t.Fatalf("page %d: %d %v", pageNo, a.Status, a.Err)
		}
		for _, it := range p.Items {
			key := it.Site + "/" + it.Code
			if seen[key] {
				t.Fatalf("page %d: %s served twice", pageNo, key)
			}
			if key <= last {
				t.Fatalf("page %d: %s after %s", pageNo, key, last)
			}
			seen[key], last = true, key
		}
		if p.NextCursor == nil {
			break
		}
		cursor = "&cursor=" + *p.NextCursor
		// Between pages: edit an item already served and one ahead, delete one ahead, create one
		// behind the cursor (never served: it sorts before it) and one ahead (served later).
		lastSite, lastCode, _ := strings.Cut(last, "/")
		var num int
		fmt.Sscanf(lastSite, "S%d", &num)
		site := fmt.Sprintf("S%04d", num+5)
		behind := fmt.Sprintf("S%04d", max(1, num-1))
		edits := []Edit{
			{Site: lastSite, Code: lastCode, Fields: map[string]json.RawMessage{"status": json.RawMessage(`"RETURNED"`)}},
			{Site: site, Code: "ITEM_050", Fields: map[string]json.RawMessage{"documentId": json.RawMessage(`"DOC-NEW"`)}},
			{Op: "delete", Site: site, Code: "ITEM_051"},
			{Site: behind, Code: "ITEM_000A", Fields: map[string]json.RawMessage{"status": json.RawMessage(`"DRAFT"`)}},
			{Site: site, Code: "ITEM_050A", Fields: map[string]json.RawMessage{"status": json.RawMessage(`"DRAFT"`)}},
		}
		if site > "S1000" { // past the last site: nothing ahead to touch
			edits = edits[:1]
		}
		if err := s.Edit(edits...); err != nil {
			t.Fatalf("page %d: %v", pageNo, err)
		}
		if len(edits) > 1 {
			deleted[site+"/ITEM_051"] = true
			created[site+"/ITEM_050A"] = true
			createdBehind[behind+"/ITEM_000A"] = true
		}
	}
	missing := 0
	for _, it := range items {
		key := it.Site + "/" + it.Code
		if !seen[key] && !deleted[key] {
			missing++
			if missing < 5 {
				t.Errorf("%s never served", key)
			}
		}
		if seen[key] && deleted[key] {
			t.Errorf("%s served after it was deleted ahead of the cursor", key)
		}
	}
	for key := range created {
		if !seen[key] {
			t.Errorf("%s, created ahead of the cursor, never served", key)
		}
	}
	for key := range createdBehind {
		if seen[key] {
			t.Errorf("%s, created behind the cursor, was served", key)
		}
	}
	if missing > 0 || len(deleted) < 90 {
		t.Fatalf("%d items missing, %d deleted", missing, len(deleted))
	}
}

// BenchmarkListAll pages through 100,000 items, 1,000 a page, as a reconciliation reads one side;
// it reports items/s.
func BenchmarkListAll(b *testing.B) {
	s, err := Start("127.0.0.1:0", Options{System: CTMS, Items: seed.SyntheticChecklist(1, 100_000, 0)})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	total := 0
	for b.Loop() {
		cursor := ""
		for {
			a := benchCall(b, s, "/v1/checklist-items?study_id=ALPHA&limit=1000"+cursor)
			var p struct {
				Items      []json.RawMessage `json:"items"`
				NextCursor *string           `json:"next_cursor"`
			}
			if err := json.Unmarshal(a, &p); err != nil {
				b.Fatal(err)
			}
			total += len(p.Items)
			if p.NextCursor == nil {
				break
			}
			cursor = "&cursor=" + *p.NextCursor
		}
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "items/s")
}

func benchCall(b *testing.B, s *Server, path string) []byte {
	req, _ := http.NewRequest("GET", s.URL()+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.Options().Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		b.Fatalf("%d %v", resp.StatusCode, err)
	}
	return body
}
