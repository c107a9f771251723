package sim

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestPaginate walks every page of a list at several page sizes, and checks that items added or
// removed between two requests neither repeat nor skip the items that stayed.
func TestPaginate(t *testing.T) {
	id := func(s string) string { return s }
	items := []string{"101/A", "101/B", "102/A", "102/C", "103/A", "103/B", "103/C"}
	for _, limit := range []int{1, 2, 3, 7, 50} {
		var got []string
		cursor, pages := "", 0
		for {
			page, next, err := Paginate(items, id, cursor, limit)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, page...)
			pages++
			if next == "" {
				break
			}
			if strings.Contains(next, "101") || strings.Contains(next, "/") {
				t.Fatalf("cursor %q shows its key: cursors are opaque", next)
			}
			cursor = next
		}
		if !slices.Equal(got, items) || pages != (len(items)+limit-1)/limit {
			t.Errorf("limit %d: %d pages, %v", limit, pages, got)
		}
	}

	page, next, _ := Paginate(items, id, "", 3)
	changed := []string{"100/Z", "101/A", "102/A", "102/B", "102/C", "103/A", "103/B", "103/C"} // 101/B gone, 100/Z and 102/B added
	rest, _, err := Paginate(changed, id, next, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"102/B", "102/C", "103/A", "103/B", "103/C"}; !slices.Equal(rest, want) || !slices.Equal(page, items[:3]) {
		t.Fatalf("after a change: %v then %v, want %v", page, rest, want)
	}

	for _, bad := range []string{"not base64!", "eA"} { // "eA" is "x": not a cursor this server makes
		if _, _, err := Paginate(items, id, bad, 2); !errors.Is(err, ErrBadCursor) {
			t.Errorf("cursor %q: %v, want ErrBadCursor", bad, err)
		}
	}
	if _, _, err := Paginate(items, id, "", 0); err == nil {
		t.Error("limit 0 accepted")
	}
	if page, next, err := Paginate([]string{}, id, "", 5); err != nil || len(page) != 0 || next != "" {
		t.Errorf("empty list: %v %q %v", page, next, err)
	}
}

func TestPageQuery(t *testing.T) {
	cases := []struct {
		query, cursor string
		limit         int
		err           string
	}{
		{query: "", limit: 50},
		{query: "limit=10&cursor=abc", cursor: "abc", limit: 10},
		{query: "limit=200", limit: 200},
		{query: "limit=201", err: "not a number from 1 to 200"},
		{query: "limit=0", err: "not a number from 1 to 200"},
		{query: "limit=ten", err: "not a number from 1 to 200"},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/v1/checklist-items?"+tc.query, nil)
			cursor, limit, err := PageQuery(r, 50, 200)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || cursor != tc.cursor || limit != tc.limit {
				t.Fatalf("%q %d %v", cursor, limit, err)
			}
		})
	}
}
