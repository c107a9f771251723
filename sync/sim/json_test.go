package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestReadJSON(t *testing.T) {
	type item struct {
		Code   string `json:"code"`
		Status string `json:"status"`
	}
	cases := []struct {
		body string
		err  string
	}{
		{body: `{"code":"IRB","status":"DRAFT"}`},
		{body: `{"code":"IRB","status":"DRAFT"}` + "\n"},
		{body: `{"code":"IRB","colour":"red"}`, err: `unknown field "colour"`},
		{body: `{"code":"IRB"}{"code":"CV"}`, err: "more than one JSON value"},
		{body: `{"code":`, err: "not the expected JSON"},
		{body: `{"code":"` + strings.Repeat("x", 100) + `"}`, err: "longer than 64 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.body[:min(len(tc.body), 30)], func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPut, "/v1/checklist-items/101/IRB", strings.NewReader(tc.body))
			var it item
			err := ReadJSON(r, 64, &it)
			if tc.err == "" {
				if err != nil || it.Code != "IRB" {
					t.Fatalf("%+v %v", it, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err %v, want %q", err, tc.err)
			}
		})
	}
}

func TestWriteJSONAndProblem(t *testing.T) {
	w := httptest.NewRecorder()
	WriteJSON(w, http.StatusOK, map[string]any{"items": []string{"a"}, "next_cursor": nil})
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" || w.Body.String() != `{"items":["a"],"next_cursor":null}`+"\n" {
		t.Fatalf("%d %v %q", w.Code, w.Header(), w.Body.String())
	}
	w = httptest.NewRecorder()
	WriteProblem(w, http.StatusConflict, "A request is outstanding", "retry later")
	var p Problem
	b, _ := io.ReadAll(w.Body)
	if err := json.Unmarshal(b, &p); err != nil || w.Header().Get("Content-Type") != "application/problem+json" ||
		p != (Problem{Type: "about:blank", Title: "A request is outstanding", Status: 409, Detail: "retry later"}) {
		t.Fatalf("%v %+v %v", w.Header(), p, err)
	}
}
