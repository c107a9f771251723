package remote

import (
	"net"
	"net/url"
	"strings"
)

// SameOrigin reports whether a and b name the same origin (scheme, host, port) once spelling is set
// aside: case, a default port written out or left implicit, a trailing dot on the host name, and the
// loopback spellings 127.0.0.1, localhost and ::1 (one machine, one origin). It is the test that decides
// where credentials may go: a redirect, a next link or a request URL that fails it is refused.
func SameOrigin(a, b *url.URL) bool {
	return origin(a) == origin(b)
}

// origin is u's normalised "scheme://host:port".
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := normalHost(u.Hostname())
	if isLoopbackName(host) {
		host = "loopback"
	}
	port := u.Port()
	if port == "" {
		switch scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return scheme + "://" + host + ":" + port
}

// SameHost reports whether a and b name the same host once spelling is set aside (as SameOrigin does),
// whatever their schemes and ports.
func SameHost(a, b *url.URL) bool {
	ha, hb := normalHost(a.Hostname()), normalHost(b.Hostname())
	return ha == hb || isLoopbackName(ha) && isLoopbackName(hb)
}

func normalHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// isLoopbackName reports the spellings of this machine that count as one origin.
func isLoopbackName(host string) bool {
	switch host {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}

// IsLoopback reports whether host (a name or an IP, without port) is this machine: localhost, any
// address in 127.0.0.0/8, or ::1. Only such hosts may be spoken to over plain http.
func IsLoopback(host string) bool {
	host = normalHost(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
