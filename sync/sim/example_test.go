package sim_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/trialsync/trialsync/sync/sim"
)

// item is one record of the example API.
type item struct {
	Site   string `json:"site"`
	Code   string `json:"code"`
	Status string `json:"status"`
}

// checklistAPI is a minimal JSON API simulator on the core: a bearer token, a paged list, and an
// idempotent PUT, every route behind the fault injector.
type checklistAPI struct {
	token  string
	inject *sim.Injector
	idem   *sim.Idempotency

	mu    sync.Mutex
	items map[string]item // by site/code
}

func (a *checklistAPI) handler() http.Handler {
	route := sim.Route{Faults: sim.AllFaults}
	mux := http.NewServeMux()
	mux.Handle("GET /v1/checklist-items", a.inject.Wrap(route, http.HandlerFunc(a.list)))
	mux.Handle("PUT /v1/checklist-items/{site}/{code}", a.inject.Wrap(route, a.idem.Wrap(true, http.HandlerFunc(a.put))))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !sim.HasToken(r, "Authorization", "Bearer ", a.token) {
			sim.WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (a *checklistAPI) list(w http.ResponseWriter, r *http.Request) {
	cursor, limit, err := sim.PageQuery(r, 50, 200)
	if err != nil {
		sim.WriteProblem(w, http.StatusBadRequest, "Bad request", err.Error())
		return
	}
	a.mu.Lock()
	all := make([]item, 0, len(a.items))
	for _, it := range a.items {
		all = append(all, it)
	}
	a.mu.Unlock()
	key := func(it item) string { return it.Site + "/" + it.Code }
	slices.SortFunc(all, func(x, y item) int { return strings.Compare(key(x), key(y)) })
	page, next, err := sim.Paginate(all, key, cursor, limit)
	if err != nil {
		sim.WriteProblem(w, http.StatusBadRequest, "Bad request", err.Error())
		return
	}
	var nextCursor *string
	if next != "" {
		nextCursor = &next
	}
	sim.WriteJSON(w, http.StatusOK, map[string]any{"items": page, "next_cursor": nextCursor})
}

func (a *checklistAPI) put(w http.ResponseWriter, r *http.Request) {
	var it item
	if err := sim.ReadJSON(r, 64<<10, &it); err != nil {
		sim.WriteProblem(w, http.StatusBadRequest, "Bad request", err.Error())
		return
	}
	it.Site, it.Code = r.PathValue("site"), r.PathValue("code")
	a.mu.Lock()
	a.items[it.Site+"/"+it.Code] = it
	a.mu.Unlock()
	sim.WriteJSON(w, http.StatusOK, it)
}

// Example builds a small JSON API simulator on the core, as the SureAdhere and checklist simulators
// are: a loopback server, a bearer token, faults from a --faults spec, an idempotent PUT, a paged list.
func Example() {
	faults, err := sim.ParseFaults("429storm:1@3", 1) // the third request is refused once
	if err != nil {
		panic(err)
	}
	api := &checklistAPI{
		token:  "edc-token",
		inject: sim.NewInjector(sim.InjectorOptions{Faults: faults}),
		idem:   sim.NewIdempotency(sim.IdempotencyOptions{}),
		items:  map[string]item{},
	}
	srv, err := sim.Listen("127.0.0.1:0", api.handler())
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	send := func(method, path, key, body string) {
		req, _ := http.NewRequest(method, srv.URL()+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer edc-token")
		if key != "" {
			req.Header.Set(sim.IdempotencyHeader, key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, strings.TrimSpace(string(b)))
	}
	send("PUT", "/v1/checklist-items/101/IRB", `"k1"`, `{"status":"DRAFT"}`)
	send("PUT", "/v1/checklist-items/101/IRB", `"k1"`, `{"status":"DRAFT"}`)    // a replay: the first result
	send("PUT", "/v1/checklist-items/102/CV", `"k2"`, `{"status":"SUBMITTED"}`) // the storm's one 429
	send("PUT", "/v1/checklist-items/102/CV", `"k2"`, `{"status":"SUBMITTED"}`) // the retry goes through
	send("PUT", "/v1/checklist-items/102/CV", `"k2"`, `{"status":"APPROVED"}`)  // same key, other body
	send("GET", "/v1/checklist-items?limit=1", "", "")
	// Output:
	// 200 {"site":"101","code":"IRB","status":"DRAFT"}
	// 200 {"site":"101","code":"IRB","status":"DRAFT"}
	// 429 Too Many Requests
	// 200 {"site":"102","code":"CV","status":"SUBMITTED"}
	// 422 {"type":"about:blank","title":"Idempotency-Key is already used","status":422,"detail":"This Idempotency-Key was used with a different request; a key must not be reused across different payloads."}
	// 200 {"items":[{"site":"101","code":"IRB","status":"DRAFT"}],"next_cursor":"azEwMS9JUkI"}
}
