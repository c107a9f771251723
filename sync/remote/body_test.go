package remote

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// readWithin reads resp's whole body on its own goroutine, failing the test if the read is still going
// after a failsafe far beyond any bound under test (the bug this guards against is a read that never
// ends).
func readWithin(t *testing.T, c *Client, path string) (int, error) {
	t.Helper()
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := c.Do(t.Context(), Request{Method: http.MethodGet, URL: c.Endpoint(nil, path)})
		if err != nil {
			done <- result{0, err}
			return
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		done <- result{int(n), err}
	}()
	select {
	case r := <-done:
		return r.n, r.err
	case <-time.After(30 * time.Second):
		t.Fatal("the answer is still being read after 30 s")
		return 0, nil
	}
}

// TestAnswerDeadlines: an answer that stalls after its headers, trickles a byte now and then, or never
// ends, ends with a clear, retryable error instead of holding the caller for ever; one larger than the
// request allows ends too. The bounds are short here; the defaults are a minute, 1 KiB/s and 6 hours.
func TestAnswerDeadlines(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		fl := w.(http.Flusher)
		_, _ = io.WriteString(w, "<ODM>")
		fl.Flush()
		tick := time.NewTicker(40 * time.Millisecond)
		defer tick.Stop()
		for {
			switch r.URL.Path {
			case "/stall":
				<-r.Context().Done()
				return
			case "/trickle":
				_, _ = w.Write([]byte{' '})
			case "/endless":
				_, _ = w.Write(bytes.Repeat([]byte{' '}, 8<<10))
			case "/big":
				_, _ = w.Write(bytes.Repeat([]byte{' '}, 64<<10))
				return
			}
			fl.Flush()
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
			}
		}
	})
	// Each case's other bounds are loose, so that a loaded machine's pauses cannot trip them.
	for _, tc := range []struct {
		path   string
		policy AnswerPolicy
		want   string
		is     error
	}{
		{"stall", AnswerPolicy{Idle: 200 * time.Millisecond}, "no data for 200ms while reading the answer", ErrStalled},
		{"trickle", AnswerPolicy{Idle: 5 * time.Second, MinRate: 1000, Grace: 300 * time.Millisecond}, "the answer arrives too slowly", ErrStalled},
		{"endless", AnswerPolicy{Idle: 5 * time.Second, MinRate: 1, MaxDuration: 1500 * time.Millisecond}, "the answer did not end within 1.5s", ErrStalled},
		{"big", AnswerPolicy{Idle: 5 * time.Second}, "the answer is larger than 10000 bytes", ErrTooLarge},
	} {
		t.Run(tc.path, func(t *testing.T) {
			cfg := testConfig(srv.URL, &waits{})
			cfg.Answer = tc.policy
			cfg.MaxConcurrent = 1
			c := newClient(t, cfg)
			var n int
			var err error
			if tc.path == "big" {
				resp, derr := c.Do(t.Context(), Request{Method: http.MethodGet, URL: c.Endpoint(nil, tc.path), MaxBytes: 10000})
				if derr != nil {
					t.Fatal(derr)
				}
				_, err = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			} else {
				n, err = readWithin(t, c, tc.path)
			}
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "test: GET "+tc.path+": ") {
				t.Fatalf("after %d bytes: %v", n, err)
			}
			if want := tc.is != ErrTooLarge; Retryable(err) != want {
				t.Errorf("retryable %v", Retryable(err))
			}
			// The slot came back with Close: a second request (MaxConcurrent 1) is not held.
			if _, err := readWithin(t, c, "big"); err != nil {
				t.Fatalf("second request: %v", err)
			}
		})
	}
}

// TestSlowConsumerNotBlamed: time the caller spends between reads (a parser committing a transaction)
// is not held against the remote: only time waiting on the network counts.
func TestSlowConsumerNotBlamed(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789abcdef"), 2<<10) // 32 KiB, sent at once
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(payload) })
	cfg := testConfig(srv.URL, &waits{})
	// Counted in wall-clock time, the pauses below would break the rate bound at the second read.
	cfg.Answer = AnswerPolicy{Idle: 350 * time.Millisecond, MinRate: 1 << 30, Grace: 500 * time.Millisecond, MaxDuration: time.Minute}
	c := newClient(t, cfg)
	resp, err := c.Do(t.Context(), Request{Method: http.MethodGet, URL: c.Endpoint(nil, "x")})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got []byte
	buf := make([]byte, 16<<10)
	for {
		n, err := resp.Body.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d bytes: %v", len(got), err)
		}
		time.Sleep(700 * time.Millisecond) // more than Idle, between reads
	}
	if !bytes.Equal(got, payload) {
		t.Fatalf("read %d bytes, want %d", len(got), len(payload))
	}
}
