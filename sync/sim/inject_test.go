package sim

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
)

const helloBody = "hello, this is the real answer of the simulated system\n"

// faulty serves a fixed answer behind an injector with spec on a route admitting set.
func faulty(t *testing.T, spec string, rt Route, h http.Handler) (*Server, *Injector) {
	t.Helper()
	f, err := ParseFaults(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	in := NewInjector(InjectorOptions{Faults: f})
	if h == nil {
		h = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, helloBody)
		})
	}
	return listen(t, in.Wrap(rt, h)), in
}

// noRedirects is a client that hands back redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func fetch(t *testing.T, c *http.Client, url string) (*http.Response, []byte, error) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// TestReplacingFaults: faults that answer instead of the handler, each in the system's own words
// (the Refuse hook) and counted.
func TestReplacingFaults(t *testing.T) {
	cases := []struct {
		spec, counter string
		status        int
		retryAfter    string
		location      string
	}{
		{spec: "429:1", counter: "429", status: 429},
		{spec: "429ra:1@7s", counter: "429", status: 429, retryAfter: "7"},
		{spec: "503burst:2@1", counter: "503", status: 503},
		{spec: "iis401:1", counter: "iis401", status: 401},
		{spec: "redirect:http://127.0.0.1:9/elsewhere", counter: "redirect", status: 302, location: "http://127.0.0.1:9/elsewhere"},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			f, _ := ParseFaults(tc.spec, 1)
			var refused []int
			in := NewInjector(InjectorOptions{Faults: f, Refuse: func(w http.ResponseWriter, _ *http.Request, status int) {
				refused = append(refused, status)
				w.WriteHeader(status)
				_, _ = io.WriteString(w, "refused in the system's words")
			}})
			s := listen(t, in.Wrap(Route{Faults: AllFaults}, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				t.Error("the handler ran")
			})))
			resp, body, err := fetch(t, noRedirects, s.URL())
			if err != nil || resp.StatusCode != tc.status {
				t.Fatalf("got %v %v, want %d", resp, err, tc.status)
			}
			if got := resp.Header.Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tc.retryAfter)
			}
			if got := resp.Header.Get("Location"); got != tc.location {
				t.Errorf("Location %q, want %q", got, tc.location)
			}
			if tc.location == "" && (len(refused) != 1 || refused[0] != tc.status || string(body) != "refused in the system's words") {
				t.Errorf("refusal %v %q", refused, body)
			}
			if in.Counts().Get(tc.counter) != 1 {
				t.Errorf("count %q = %d", tc.counter, in.Counts().Get(tc.counter))
			}
		})
	}
}

// TestStorm: 429storm:N@K answers the K-th request and the N-1 after it with 429 and Retry-After,
// once; every other request gets the real answer.
func TestStorm(t *testing.T) {
	s, in := faulty(t, "429storm:3@4", Route{Faults: AllFaults}, nil)
	var got []int
	for range 10 {
		resp, _, err := fetch(t, http.DefaultClient, s.URL())
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == 429 && resp.Header.Get("Retry-After") != "1" {
			t.Errorf("storm answer without Retry-After: 1")
		}
		got = append(got, resp.StatusCode)
	}
	want := []int{200, 200, 200, 429, 429, 429, 200, 200, 200, 200}
	if !equalInts(got, want) || in.Counts().Get("storm") != 3 {
		t.Fatalf("statuses %v, want %v (storm count %d)", got, want, in.Counts().Get("storm"))
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestRouteAdmitsOnlyItsFaults: a fault the route does not admit never hits it, and endless and
// bomb never hit a route that does not describe their bodies.
func TestRouteAdmitsOnlyItsFaults(t *testing.T) {
	for _, spec := range []string{"429:1,iis401:1,drop:1", "endless:1", "bomb:1"} {
		t.Run(spec, func(t *testing.T) {
			s, _ := faulty(t, spec, Route{Faults: Fault503 | FaultEndless | FaultBomb}, nil)
			for range 3 {
				resp, body, err := fetch(t, http.DefaultClient, s.URL())
				if err != nil || resp.StatusCode != 200 || string(body) != helloBody {
					t.Fatalf("%v %v %q", resp, err, body)
				}
			}
		})
	}
}

// TestBodyFaults: drop cuts the connection mid-body (unexpected EOF), truncate ends the answer
// cleanly but short; both after the handler ran in full.
func TestBodyFaults(t *testing.T) {
	t.Run("drop", func(t *testing.T) {
		s, in := faulty(t, "drop:1", Route{Faults: AllFaults}, nil)
		resp, body, err := fetch(t, http.DefaultClient, s.URL())
		if resp == nil || resp.StatusCode != 200 || !errors.Is(err, io.ErrUnexpectedEOF) || len(body) >= len(helloBody) {
			t.Fatalf("%v, %v, %q", resp, err, body)
		}
		if in.Counts().Get("drop") != 1 {
			t.Fatal("drop not counted")
		}
	})
	t.Run("truncate", func(t *testing.T) {
		s, in := faulty(t, "truncate:1", Route{Faults: AllFaults}, nil)
		resp, body, err := fetch(t, http.DefaultClient, s.URL())
		if err != nil || resp.StatusCode != 200 || len(body) == 0 || len(body) >= len(helloBody) || !strings.HasPrefix(helloBody, string(body)) {
			t.Fatalf("%v, %v, %q", resp, err, body)
		}
		if in.Counts().Get("truncate") != 1 {
			t.Fatal("truncate not counted")
		}
	})
	t.Run("slow", func(t *testing.T) {
		s, in := faulty(t, "slow:20ms", Route{Faults: AllFaults}, nil)
		resp, body, err := fetch(t, http.DefaultClient, s.URL())
		if err != nil || resp.StatusCode != 200 || string(body) != helloBody || in.Counts().Get("slow") != 1 {
			t.Fatalf("%v, %v, %q, slow count %d", resp, err, body, in.Counts().Get("slow"))
		}
	})
}

// TestGzipAnswer: a 200 is gzip-compressed when the client accepts it, and only then.
func TestGzipAnswer(t *testing.T) {
	s, in := faulty(t, "", Route{}, nil)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL(), nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	zr, err := gzip.NewReader(resp.Body)
	if err != nil || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("not gzip: %v %v", resp.Header, err)
	}
	if b, _ := io.ReadAll(zr); string(b) != helloBody {
		t.Fatalf("inflated %q", b)
	}
	plain, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL(), nil)
	plain.Header.Set("Accept-Encoding", "identity")
	resp2, err := http.DefaultTransport.RoundTrip(plain)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp2.Body)
	resp2.Body.Close()
	if resp2.Header.Get("Content-Encoding") != "" || string(b) != helloBody || in.Counts().Get("gzip") != 1 || in.Counts().Get("200") != 2 {
		t.Fatalf("identity answer %v %q, gzip count %d", resp2.Header, b, in.Counts().Get("gzip"))
	}
}

// TestStall: the headers arrive while the handler's first body write is held; the body never
// brings a byte, and ends with an error when the client gives up.
func TestStall(t *testing.T) {
	wrote := make(chan struct{})
	s, in := faulty(t, "stall:1", Route{Faults: AllFaults}, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, helloBody)
		close(wrote)
	}))
	ctx, cancel := context.WithCancel(t.Context())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL(), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/plain" || in.Counts().Get("stall") != 1 {
		t.Fatalf("headers %v, stall count %d", resp, in.Counts().Get("stall"))
	}
	select {
	case <-wrote:
		t.Fatal("the body write went through: the answer did not stall")
	default:
	}
	read := make(chan error, 1)
	var n int
	go func() {
		b, err := io.ReadAll(resp.Body)
		n = len(b)
		read <- err
	}()
	cancel()
	if err := <-read; err == nil || n != 0 {
		t.Fatalf("stalled body: %d bytes, err %v", n, err)
	}
}

// TestTrickle: the body goes out one byte per chunk (one flush per byte), complete in the end. The
// test reads the raw HTTP/1.1 answer, so it sees the chunk framing the server chose.
func TestTrickle(t *testing.T) {
	s, in := faulty(t, "trickle:1ms", Route{Faults: AllFaults}, nil)
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: sim\r\nConnection: close\r\n\r\n")
	br := bufio.NewReader(conn)
	var head []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == "\r\n" {
			break
		}
		head = append(head, strings.TrimSpace(line))
	}
	raw, _ := io.ReadAll(br)
	var want strings.Builder
	for i := range len(helloBody) {
		want.WriteString("1\r\n" + helloBody[i:i+1] + "\r\n")
	}
	want.WriteString("0\r\n\r\n")
	if head[0] != "HTTP/1.1 200 OK" || !contains(head, "Transfer-Encoding: chunked") {
		t.Fatalf("head %q", head)
	}
	if string(raw) != want.String() || in.Counts().Get("trickle") != 1 {
		t.Fatalf("framing %q", raw)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestClose: the connection is reset where an answer was expected, and the handler never runs.
func TestClose(t *testing.T) {
	s, in := faulty(t, "close:1", Route{Faults: AllFaults}, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("the handler ran")
	}))
	// A transport without keep-alive retries: a reset on a fresh connection is reported as is.
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, _, err := fetch(t, c, s.URL())
	if err == nil {
		t.Fatalf("answer %v, want a reset connection", resp.Status)
	}
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) {
		t.Fatalf("error %v, want a reset or EOF", err)
	}
	if in.Counts().Get("close") == 0 {
		t.Fatal("close not counted")
	}
}

// TestEndless: after the route's head, its unit repeats past any size a client would expect.
func TestEndless(t *testing.T) {
	head, unit := []byte("<list>\n"), []byte("<item>same</item>\n")
	rt := Route{Faults: AllFaults, Endless: func(*http.Request) Filler {
		return Filler{ContentType: "text/xml", Head: head, Unit: unit}
	}}
	s, in := faulty(t, "endless:1", rt, nil)
	for _, gz := range []bool{false, true} {
		ctx, cancel := context.WithCancel(t.Context())
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL(), nil)
		if !gz {
			req.Header.Set("Accept-Encoding", "identity")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		const want = 1 << 20
		b, err := io.ReadAll(io.LimitReader(resp.Body, want))
		cancel()
		resp.Body.Close()
		if err != nil || len(b) != want || resp.Header.Get("Content-Type") != "text/xml" {
			t.Fatalf("gzip %v: read %d bytes, %v, %v", gz, len(b), err, resp.Header)
		}
		rest, ok := bytes.CutPrefix(b, head)
		if !ok {
			t.Fatalf("gzip %v: body does not start with the head", gz)
		}
		full := len(rest) / len(unit) * len(unit)
		if !bytes.Equal(rest[:full], bytes.Repeat(unit, full/len(unit))) || !bytes.HasPrefix(unit, rest[full:]) {
			t.Fatalf("gzip %v: body is not the unit repeated", gz)
		}
	}
	if in.Counts().Get("endless") != 2 {
		t.Fatalf("endless count %d", in.Counts().Get("endless"))
	}
}

// TestBomb: the answer is about 0.4 MB of gzip, whatever the client accepted; its start inflates to
// the route's head and the unit. (TestBombInflates checks a whole bomb, smaller.)
func TestBomb(t *testing.T) {
	head, tail := []byte(`<r a="`), []byte(`"/>`)
	rt := Route{Faults: AllFaults, Bomb: func(*http.Request) Filler {
		return Filler{ContentType: "text/xml", Head: head, Unit: []byte("A"), Tail: tail}
	}}
	s, in := faulty(t, "bomb:1", rt, nil)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL(), nil)
	req.Header.Set("Accept-Encoding", "identity") // the bomb comes gzipped all the same
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	wire, err := io.ReadAll(resp.Body)
	if err != nil || resp.Header.Get("Content-Encoding") != "gzip" || resp.ContentLength != int64(len(wire)) {
		t.Fatalf("%v %v", resp.Header, err)
	}
	if len(wire) < 300_000 || len(wire) > 600_000 {
		t.Fatalf("bomb is %d bytes on the wire, want about 0.4 MB", len(wire))
	}
	zr, err := gzip.NewReader(bytes.NewReader(wire))
	if err != nil {
		t.Fatal(err)
	}
	start := make([]byte, 64<<10)
	if _, err := io.ReadFull(zr, start); err != nil {
		t.Fatal(err)
	}
	if rest, ok := bytes.CutPrefix(start, head); !ok || len(bytes.Trim(rest, "A")) != 0 {
		t.Fatalf("inflated start %q…", start[:40])
	}
	if in.Counts().Get("bomb") != 1 {
		t.Fatal("bomb not counted")
	}
}

// TestBombInflates inflates whole bombs, with a unit of one byte and of several, to exactly the head,
// the unit repeated, and the tail, with a valid gzip trailer (gzip.Reader checks the CRC-32 and the
// length at the end).
func TestBombInflates(t *testing.T) {
	for _, unit := range []string{"A", "<x>repeated</x>"} {
		f := Filler{Head: []byte(`<r a="`), Unit: []byte(unit), Tail: []byte(`"/>`)}
		zr, err := gzip.NewReader(bytes.NewReader(gzipBomb(f, 8<<20)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("unit %q: inflating: %v", unit, err)
		}
		chunk := bytes.Repeat(f.Unit, (1<<20)/len(f.Unit))
		want := slices.Concat(f.Head, bytes.Repeat(chunk, 8), f.Tail)
		if !bytes.Equal(got, want) {
			t.Fatalf("unit %q: inflated %d bytes, not the %d expected", unit, len(got), len(want))
		}
	}
}
