package rws

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
)

// IsOffline reports whether err means the remote could not be reached at all: connection refused,
// no route to the host or network, or a name that does not resolve. An outbound queue holds its
// messages on such errors without spending an attempt; the remote never saw the request.
func IsOffline(err error) bool {
	if err == nil {
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
	return false
}

// isTransport reports whether err is a network-level failure (as opposed to an HTTP answer or the
// caller's own cancellation), which a later attempt may not meet.
func isTransport(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if IsOffline(err) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr)
}
