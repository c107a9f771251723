package rws

import (
	"net/http"
	"slices"
	"strconv"
	"testing"
)

// TestRWSStatedBudget: with RateLimit set, answers count down X-RateLimit-Remaining within a second and
// the request past the budget gets a 429 with Retry-After; without it, no budget headers at all.
func TestRWSStatedBudget(t *testing.T) {
	if resp, _, err := get(t, startRWS(t, Options{Seed: 2}), http.MethodGet, "studies", nil); err != nil || resp.Header.Get("X-RateLimit-Remaining") != "" {
		t.Fatalf("RWS without a budget sent %q (%v)", resp.Header.Get("X-RateLimit-Remaining"), err)
	}
	const limit = 4
	s := startRWS(t, Options{Seed: 2, RateLimit: limit})
	// A second's window can end between two requests; try again then (the test needs one whole window).
	for attempt := 0; attempt < 5; attempt++ {
		var seen []int
		status := 0
		for range limit + 1 {
			resp, _, err := get(t, s, http.MethodGet, "studies", nil)
			if err != nil {
				t.Fatal(err)
			}
			n, err := strconv.Atoi(resp.Header.Get("X-RateLimit-Remaining"))
			if err != nil || resp.Header.Get("X-RateLimit-Limit") != "4" {
				t.Fatalf("budget headers %v", resp.Header)
			}
			seen, status = append(seen, n), resp.StatusCode
			if status == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		}
		if slices.Equal(seen, []int{3, 2, 1, 0, 0}) && status == http.StatusTooManyRequests {
			return
		}
		if !slices.IsSortedFunc(seen, func(a, b int) int { return b - a }) {
			continue // a new window began part-way
		}
		t.Fatalf("remaining %v, last status %d: want 3 2 1 0 0 and a 429", seen, status)
	}
	t.Fatal("no whole one-second window in five tries")
}
