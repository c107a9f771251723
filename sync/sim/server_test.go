package sim

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// listen starts h on a free loopback port and stops it at the end of the test.
func listen(t *testing.T, h http.Handler) *Server {
	t.Helper()
	s, err := Listen("127.0.0.1:0", h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestListenRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:80", "[::]:0", "example.org:80"} {
		t.Run(addr, func(t *testing.T) {
			if s, err := Listen(addr, http.NotFoundHandler()); err == nil || !strings.Contains(err.Error(), "loopback") {
				if s != nil {
					_ = s.Close()
				}
				t.Fatalf("Listen(%q) = %v, want a loopback refusal", addr, err)
			}
		})
	}
	if _, err := Listen("127.0.0.1", http.NotFoundHandler()); err == nil || !strings.Contains(err.Error(), "missing port") {
		t.Errorf("address without a port: %v", err)
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0"} {
		if err := CheckLoopback(addr); err != nil {
			t.Errorf("CheckLoopback(%q) = %v", addr, err)
		}
	}
}

func TestServerURL(t *testing.T) {
	s := listen(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.URL.Path) }))
	resp, err := http.Get(s.URL() + "/ping")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "/ping" || !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || s.URL() != "http://"+s.Addr() {
		t.Fatalf("URL %s, answer %q", s.URL(), b)
	}
}

// TestShutdownEndsHeldAnswers: an answer waiting on its request's context (as stall, trickle and
// endless do) ends when Shutdown starts, so a graceful shutdown does not wait for its deadline.
func TestShutdownEndsHeldAnswers(t *testing.T) {
	entered, ended := make(chan struct{}), make(chan error, 1)
	s, err := Listen("127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		close(entered)
		<-r.Context().Done()
		ended <- r.Context().Err()
	}))
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		resp, err := http.Get(s.URL())
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("Shutdown waited for its deadline: the held answer did not end")
	}
	if err := <-ended; err == nil {
		t.Fatal("the request's context did not end")
	}
	if _, err := http.Get(s.URL()); err == nil {
		t.Fatal("server still answers after Shutdown")
	}
}
