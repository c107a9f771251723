package sim

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
)

// ErrBadCursor is returned for a page cursor the simulator did not hand out.
var ErrBadCursor = errors.New("cursor is not one this server gave")

// Paginate returns the page of items (sorted by key, ascending, keys unique) that follows cursor, at
// most limit long, and the cursor of the next page ("" on the last page). The cursor is opaque to
// clients but holds the last key returned, so a list that gains or loses items between two requests
// neither repeats nor skips the items that stayed, as a keyset-paged API behaves.
func Paginate[T any](items []T, key func(T) string, cursor string, limit int) (page []T, next string, err error) {
	if limit < 1 {
		return nil, "", fmt.Errorf("limit %d is not positive", limit)
	}
	start := 0
	if cursor != "" {
		after, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || len(after) == 0 || after[0] != 'k' {
			return nil, "", ErrBadCursor
		}
		last := string(after[1:])
		start = sort.Search(len(items), func(i int) bool { return key(items[i]) > last })
	}
	end := min(start+limit, len(items))
	page = items[start:end]
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte("k" + key(items[end-1])))
	}
	return page, next, nil
}

// PageQuery reads the limit and cursor query parameters of a paged list request: limit defaults to
// def and may not exceed max. The error is fit for a 400 answer.
func PageQuery(r *http.Request, def, max int) (cursor string, limit int, err error) {
	q := r.URL.Query()
	limit = def
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > max {
			return "", 0, fmt.Errorf("limit %q is not a number from 1 to %d", v, max)
		}
		limit = n
	}
	return q.Get("cursor"), limit, nil
}
