package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Server is one simulator's HTTP server on a loopback address. Every simulator runs on one, so that
// all of them refuse to listen beyond this machine and stop the same way.
type Server struct {
	ln     net.Listener
	srv    *http.Server
	done   chan struct{}
	cancel context.CancelFunc
}

// Listen starts serving h on addr ("127.0.0.1:0" picks a free port). It refuses an address that is
// not loopback: simulators are for tests and demos on this machine only.
//
// Every request's context ends when the server stops, so answers that a fault holds open (slow,
// stall, trickle, endless) end with it instead of keeping Shutdown waiting.
func Listen(addr string, h http.Handler) (*Server, error) {
	if err := CheckLoopback(addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sim: listen %s: %w", addr, err)
	}
	base, cancel := context.WithCancel(context.Background())
	s := &Server{ln: ln, done: make(chan struct{}), cancel: cancel}
	s.srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// CheckLoopback returns an error unless addr ("host:port") names a loopback host: localhost, or an
// IPv4 or IPv6 loopback address. An empty host (":0") listens everywhere and is refused too.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("sim: address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("sim: address %q is not loopback (use 127.0.0.1:PORT)", addr)
	}
	return nil
}

// Addr is the listening address, host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the server's root, "http://127.0.0.1:PORT", without a trailing slash.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Close stops the server at once, cutting open connections.
func (s *Server) Close() error {
	s.cancel()
	err := s.srv.Close()
	<-s.done
	return err
}

// Shutdown stops the server gracefully: it stops accepting, ends the answers a fault holds open, and
// waits for the other answers in flight until ctx ends, then cuts what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	s.cancel()
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		err = s.srv.Close()
	}
	<-s.done
	return err
}
