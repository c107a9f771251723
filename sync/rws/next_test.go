package rws

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"

	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

// TestCheckNext: a next link is accepted only on the configured origin (spelling aside: case, default
// port, trailing dot, the loopback names) and under the base path; the form to store is the link's
// path and query exactly as given, on the configured origin. Anything else is refused, to be neither
// stored nor followed.
func TestCheckNext(t *testing.T) {
	const audit = "/RaveWebServices/datasets/ClinicalAuditRecords.odm?studyoid=Mediflex%28DEV%29&startid=8256305&per_page=1000"
	for _, tc := range []struct {
		base, next, want string // want "" means refused
	}{
		{"http://127.0.0.1:8080/RaveWebServices", "http://127.0.0.1:8080" + audit, "http://127.0.0.1:8080" + audit},
		{"http://127.0.0.1:8080/RaveWebServices", "http://localhost:8080" + audit, "http://127.0.0.1:8080" + audit},
		{"http://127.0.0.1:8080/RaveWebServices", "HTTP://LOCALHOST.:8080" + audit, "http://127.0.0.1:8080" + audit},
		{"http://127.0.0.1:8080/RaveWebServices", "http://[::1]:8080/ravewebservices/datasets/x?startid=5", "http://127.0.0.1:8080/ravewebservices/datasets/x?startid=5"},
		{"http://127.0.0.1:8080/RaveWebServices", "datasets/x?startid=9", "http://127.0.0.1:8080/RaveWebServices/datasets/x?startid=9"},
		{"http://127.0.0.1:8080/RaveWebServices", audit, "http://127.0.0.1:8080" + audit},
		{"https://acme.mdsol.com/RaveWebServices", "https://ACME.mdsol.com:443" + audit, "https://acme.mdsol.com" + audit},
		{"https://acme.mdsol.com/RaveWebServices", "https://acme.mdsol.com." + audit, "https://acme.mdsol.com" + audit},
		{"http://127.0.0.1:8080/RaveWebServices", "http://127.0.0.1:8081" + audit, ""},
		{"http://127.0.0.1:8080/RaveWebServices", "https://127.0.0.1:8080" + audit, ""},
		{"http://127.0.0.1:8080/RaveWebServices", "http://evil.example" + audit, ""},
		{"http://127.0.0.1:8080/RaveWebServices", "http://127.0.0.2:8080" + audit, ""},
		{"http://127.0.0.1:8080/RaveWebServices", "http://127.0.0.1:8080/Other/datasets/x?startid=5", ""},
		{"http://127.0.0.1:8080/RaveWebServices", "http://127.0.0.1:8080/RaveWebServicesX/x?startid=5", ""},
		{"http://127.0.0.1:8080/RaveWebServices", "http://u:p@127.0.0.1:8080" + audit, ""},
		{"http://127.0.0.1:8080/RaveWebServices", "ftp://127.0.0.1:8080" + audit, ""},
		{"http://127.0.0.1:8080/RaveWebServices", "", ""},
		{"http://127.0.0.1:8080/RaveWebServices", "http://127.0.0.1:8080/Rave\x1b[31m", ""},
		{"https://acme.mdsol.com/RaveWebServices", "http://acme.mdsol.com" + audit, ""},
		{"https://acme.mdsol.com/RaveWebServices", "https://acme.mdsol.com:8443" + audit, ""},
	} {
		t.Run(tc.next, func(t *testing.T) {
			c := newClient(t, Config{BaseURL: tc.base, Auth: BasicAuth("u", "p")})
			got, err := c.CheckNext(tc.next)
			if tc.want == "" {
				if !errors.Is(err, ErrNextLink) || got != "" || Retryable(err) {
					t.Fatalf("CheckNext(%q) = %q, %v; want it refused", tc.next, got, err)
				}
				if strings.ContainsRune(err.Error(), 0x1b) {
					t.Errorf("error %q repeats the link's control characters", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("CheckNext(%q) = %q, %v; want %q", tc.next, got, err, tc.want)
			}
			if again, err := c.CheckNext(got); err != nil || again != got {
				t.Errorf("the stored form does not pass again: %q, %v", again, err)
			}
		})
	}
}

// TestFollowNextAfterTheConfigurationMoved: a next link stored while the tenant answered on another
// port, or under another spelling of the host, is followed against the configured base (the request,
// and the credentials, go only to the configured origin); the same link arriving from a server now is
// refused by CheckNext and never stored.
func TestFollowNextAfterTheConfigurationMoved(t *testing.T) {
	s := startSim(t, simrws.Options{Seed: 11})
	c := newClient(t, testConfig(s, &waits{}))
	ctx := t.Context()
	p, err := c.AuditRecords(ctx, "ALPHA(Prod)", 1, 40)
	if err != nil {
		t.Fatal(err)
	}
	_ = p.Body.Close()
	stored, err := c.CheckNext(p.Next)
	if err != nil || stored != p.Next {
		t.Fatalf("CheckNext(%q) = %q, %v", p.Next, stored, err)
	}
	want := followed(t, c, stored)

	u, _ := url.Parse(stored)
	for _, old := range []string{"127.0.0.1:1", "localhost:1", "LOCALHOST:" + u.Port()} {
		moved := *u
		moved.Host = old
		before := s.Requests()
		if got := followed(t, c, moved.String()); !bytes.Equal(stable(got), stable(want)) {
			t.Errorf("link stored as %s: another page", moved.String())
		}
		if s.Requests() != before+1 {
			t.Errorf("link stored as %s: %d requests reached the tenant", moved.String(), s.Requests()-before)
		}
		if old != "LOCALHOST:"+u.Port() {
			if _, err := c.CheckNext(moved.String()); !errors.Is(err, ErrNextLink) {
				t.Errorf("a server's link to %s was accepted: %v", old, err)
			}
		}
	}
}

func followed(t *testing.T, c *Client, next string) []byte {
	t.Helper()
	p, err := c.FollowNext(t.Context(), next)
	if err != nil {
		t.Fatalf("FollowNext(%q): %v", next, err)
	}
	b, err := readAll(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
