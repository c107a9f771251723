package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// WriteJSON answers status with v as application/json, the shape of the JSON APIs simulated here.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("sim: WriteJSON of %T: %v", v, err)) // a simulator bug, not a client's fault
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// Problem is an RFC 9457 problem detail, the error body of the Idempotency-Key draft.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// WriteProblem answers status with an application/problem+json body.
func WriteProblem(w http.ResponseWriter, status int, title, detail string) {
	b, _ := json.Marshal(Problem{Type: "about:blank", Title: title, Status: status, Detail: detail})
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Language", "en")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// ReadJSON decodes a JSON request body of at most max bytes into v, refusing unknown fields and
// trailing data, as a strict API does. The error says what was wrong, for a 400 answer.
func ReadJSON(r *http.Request, max int64, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return fmt.Errorf("reading the body: %w", err)
	}
	if int64(len(body)) > max {
		return fmt.Errorf("body longer than %d bytes", max)
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("body is not the expected JSON: %w", err)
	}
	if d.More() {
		return fmt.Errorf("body holds more than one JSON value")
	}
	return nil
}
