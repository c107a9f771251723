package checklist

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// ItemPath is the path of the system's PUT for one item, from the system's own spelling of the key.
func (a *Adapter) ItemPath(site, code string) string {
	// PathEscape escapes braces, so the site cannot bring a {code} placeholder of its own.
	p := strings.Replace(a.m.ItemPath, "{site}", url.PathEscape(site), 1)
	return strings.Replace(p, "{code}", url.PathEscape(code), 1)
}

// ListPath is the path and query of one page of the listing: limit items of study, after cursor ("" for
// the first page). A query the configured list path carries ("/items?format=json") is kept, joined by
// the listing's own parameters, which replace any of the same name.
func (a *Adapter) ListPath(study string, limit int, cursor string) string {
	path, fixed, _ := strings.Cut(a.m.ListPath, "?")
	q, _ := url.ParseQuery(fixed) // what does not parse is left out; the listing's parameters are what matter
	q.Set("study_id", study)
	q.Set("limit", strconv.Itoa(limit))
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	return path + "?" + q.Encode()
}

// Page is one page of a listing: the raw records, and the cursor of the next page ("" on the last).
type Page struct {
	Items      []json.RawMessage
	NextCursor string
}

// DecodePage reads a listing answer, {"items":[...],"next_cursor":"C"} (next_cursor null or absent on the
// last page). The records are left raw for Decode; they share body's memory, so the caller must not modify
// body afterwards.
func (a *Adapter) DecodePage(body []byte) (Page, error) {
	var items, next []byte
	err := eachMember(body, func(key []byte, v0, v1 int) {
		switch string(key) {
		case `"items"`:
			items = body[v0:v1]
		case `"next_cursor"`:
			next = body[v0:v1]
		}
	})
	if err != nil {
		return Page{}, fmt.Errorf("%s listing: the answer is not a JSON page of items", a.sys.Label())
	}
	if items == nil || items[0] != '[' {
		return Page{}, fmt.Errorf("%s listing: the answer has no items array", a.sys.Label())
	}
	var p Page
	_ = eachElement(items, func(e []byte) { p.Items = append(p.Items, e) })
	if next != nil {
		cursor, err := jsonText(next)
		if err != nil || (next[0] != '"' && next[0] != 'n') {
			return Page{}, fmt.Errorf("%s listing: next_cursor %s is not a string", a.sys.Label(), next)
		}
		p.NextCursor = cursor
	}
	return p, nil
}
