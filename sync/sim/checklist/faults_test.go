package checklist

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"testing"
)

// TestRefusingFaults: 429 (with Retry-After when the spec gives one) and 503 answer problem+json and
// keep the PUT from running.
func TestRefusingFaults(t *testing.T) {
	for _, tc := range []struct {
		faults     string
		status     int
		retryAfter string
	}{
		{"429:1", 429, ""},
		{"429ra:1@3s", 429, "3"},
		{"429storm:2", 429, "1"},
		{"503burst:2@1", 503, ""},
	} {
		t.Run(tc.faults, func(t *testing.T) {
			s := start(t, Options{System: EDC, Faults: tc.faults})
			a := put(t, s, "101", "PI_CV", "k1", `{"status":"APPROVED"}`)
			isProblem(t, a, tc.status, "retry later")
			if got := a.Header.Get("Retry-After"); got != tc.retryAfter {
				t.Fatalf("Retry-After %q, want %q", got, tc.retryAfter)
			}
			if s.Count("put") != 0 || s.Count(strconv.Itoa(tc.status)) != 1 {
				t.Fatalf("%d puts ran, %d refusals counted", s.Count("put"), s.Count(strconv.Itoa(tc.status)))
			}
			isProblem(t, call(t, s, "GET", "/v1/checklist-items?study_id=ALPHA", ""), tc.status, "retry later")
		})
	}
}

// TestDroppedAnswerAfterApply: under drop a PUT is applied and its answer is cut; the client's retry
// with the same Idempotency-Key gets the kept answer and the PUT never runs twice.
func TestDroppedAnswerAfterApply(t *testing.T) {
	s := start(t, Options{System: CTMS, Faults: "drop:0.5,seed:4"})
	body := `{"state":"Verified","signedOff":true}`
	var got answer
	drops := 0
	for range 20 {
		got = put(t, s, "102", "GCP_TRAINING", "retry-me", body)
		if got.Err == nil {
			break
		}
		if !errors.Is(got.Err, io.ErrUnexpectedEOF) {
			t.Fatalf("a dropped answer gave %v", got.Err)
		}
		drops++
		if stored, _ := s.Item("102", "GCP_TRAINING"); !bytes.Contains(stored, []byte(`"state":"Verified"`)) {
			t.Fatalf("a PUT whose answer was dropped was not applied: %s", stored)
		}
	}
	stored, _ := s.Item("102", "GCP_TRAINING")
	if got.Err != nil || got.Status != 200 || !bytes.Equal(bytes.TrimSpace(got.Body), stored) {
		t.Fatalf("final answer %d %v %s, stored %s", got.Status, got.Err, got.Body, stored)
	}
	if drops == 0 || s.Count("drop") != drops || s.Count("put") != 1 || s.Count("replay") < drops {
		t.Fatalf("%d drops seen, counted %d; %d puts ran; %d replays", drops, s.Count("drop"), s.Count("put"), s.Count("replay"))
	}
}

// TestEndlessListing: under endless a listing's items never end: the client reads a growing array of
// well-formed items until it gives up.
func TestEndlessListing(t *testing.T) {
	s := start(t, Options{System: EDC, Faults: "endless:1"})
	req, _ := http.NewRequestWithContext(t.Context(), "GET", s.URL()+"/v1/checklist-items?study_id=ALPHA", nil)
	req.Header.Set("Authorization", "Bearer "+s.Options().Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	head := make([]byte, 1<<20)
	if _, err := io.ReadFull(resp.Body, head); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !bytes.HasPrefix(head, []byte(`{"items":[{"siteId":"101","code":"CTA_SIGNED",`)) ||
		bytes.Count(head, []byte(`"siteId"`)) < 1000 || s.Count("endless") != 1 {
		t.Fatalf("%d %q…", resp.StatusCode, head[:120])
	}
}
