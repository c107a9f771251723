package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"time"
)

// OfflineError is returned, at once and without spending an attempt, by every request made while the
// remote cannot be reached. It matches ErrOffline. Ready is closed when the remote answers again (a
// background probe checks every Config.ProbeEvery), so a service waits on it instead of polling:
//
//	var off *remote.OfflineError
//	if errors.As(err, &off) {
//		select {
//		case <-off.Ready():
//		case <-ctx.Done():
//		}
//	}
type OfflineError struct {
	Remote string    // the remote's name
	Op     string    // the request that was not sent
	Since  time.Time // when the remote went offline
	Words  string    // why, in a coordinator's words ("127.0.0.1:8080 refused the connection")
	Err    error     // the dial or name-resolution error

	ready <-chan struct{}
}

// Error says which remote is offline, since when and why.
func (e *OfflineError) Error() string {
	return fmt.Sprintf("%s: %s: offline since %s: %s", e.Remote, e.Op, e.Since.Format("15:04:05"), e.Words)
}

// Is matches ErrOffline.
func (e *OfflineError) Is(target error) bool { return target == ErrOffline }

// Unwrap returns the dial or name-resolution error.
func (e *OfflineError) Unwrap() error { return e.Err }

// Ready is closed when the remote answers again.
func (e *OfflineError) Ready() <-chan struct{} { return e.ready }

// IsOffline reports whether err means the remote could not be reached at all: an *OfflineError, or
// a raw connection refused, no route to the host or network, a dial that timed out, or a name that
// does not resolve. The remote never saw the request.
func IsOffline(err error) bool {
	return errors.Is(err, ErrOffline) || unreachable(err)
}

// unreachable classifies a transport error from net/http: true when no connection was made.
func unreachable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	for _, errno := range []syscall.Errno{syscall.ECONNREFUSED, syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.ENETDOWN, syscall.EHOSTDOWN} {
		if errors.Is(err, errno) {
			return true
		}
	}
	var op *net.OpError
	return errors.As(err, &op) && (op.Op == "dial" || op.Op == "proxyconnect")
}

// unreachableWords says why host could not be reached, for a coordinator.
func unreachableWords(host string, err error) string {
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return "the name " + host + " does not resolve (DNS)"
	case errors.As(err, &dnsErr):
		return "no name server answered for " + host
	case errors.Is(err, syscall.ECONNREFUSED):
		return host + " refused the connection (nothing is listening there)"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.EHOSTDOWN):
		return "no route to " + host
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.ENETDOWN):
		return "the network is unreachable (no connection to " + host + ")"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return host + " did not accept a connection in time"
	}
	return "cannot connect to " + host + ": " + Clean(stripURL(err).Error())
}

// offline records that the remote could not be reached and returns the error for op.
func (c *Client) offline(op string, cause error) *OfflineError {
	words := unreachableWords(c.base.Host, cause)
	ready, since, start := c.state.goOffline(cause, words)
	if start {
		c.log.Warn().Str("remote", c.name).Str("reason", words).Msg("remote offline")
		c.goProbe(ready)
	}
	return &OfflineError{Remote: c.name, Op: op, Since: since, Words: words, Err: stripURL(cause), ready: ready}
}

// offlineNow returns an *OfflineError for op when the remote is known to be offline.
func (c *Client) offlineNow(op string) *OfflineError {
	ready, cause, words, since, ok := c.state.isOffline()
	if !ok {
		return nil
	}
	return &OfflineError{Remote: c.name, Op: op, Since: since, Words: words, Err: stripURL(cause), ready: ready}
}

// probe checks, every ProbeEvery, whether the remote answers again: a HEAD of the base URL without
// credentials, bounded by ProbeTimeout. Any HTTP answer, or any failure other than "not reached" (a TLS
// problem, say, which the next real request will report), ends the offline state and closes ready.
func (c *Client) probe(ready chan struct{}) {
	defer c.wg.Done()
	t := time.NewTimer(c.probeEvery)
	defer t.Stop()
	for {
		select {
		case <-c.closed:
			return
		case <-ready:
			return // a request in flight saw an answer first
		case <-t.C:
		}
		err := c.probeOnce()
		if err == nil || !unreachable(err) {
			c.log.Info().Str("remote", c.name).Msg("remote answers again")
			c.state.answered()
			return
		}
		if again, _, start := c.state.goOffline(err, unreachableWords(c.base.Host, err)); start {
			// A request saw an answer while this probe was out, closing ready; this failure begins a
			// new offline spell, which nobody else is probing.
			ready = again
		}
		t.Reset(c.probeEvery)
	}
}

func (c *Client) probeOnce() error {
	ctx, cancel := context.WithTimeout(context.Background(), c.probeTimeout)
	defer cancel()
	go func() {
		select {
		case <-c.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, c.base.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", c.ua)
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// stripURL drops the URL from a *url.Error: it adds nothing the Op does not say, and an address handed
// over by a server is not ours to print.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
