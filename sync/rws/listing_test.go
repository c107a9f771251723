package rws

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

const listingHead = `<?xml version="1.0" encoding="utf-8"?><ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:mdsol="http://www.mdsol.com/ns/odm/metadata" ODMVersion="1.3" FileType="Snapshot">`

// gzipMember compresses b as one gzip member; members concatenate into one gzip stream.
func gzipMember(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestSubjectListingBomb: a gzip answer of about 0.4 MB holding a 400 MB attribute (the size that took
// 1.8 GB to decode) ends with a clear error, and reading it allocates a few megabytes, not hundreds.
func TestSubjectListingBomb(t *testing.T) {
	mib := gzipMember(t, bytes.Repeat([]byte("A"), 1<<20))
	var bomb bytes.Buffer
	bomb.Write(gzipMember(t, []byte(listingHead+`<ClinicalData StudyOID="ALPHA(Prod)" MetaDataVersionOID="1"><SubjectData SubjectKey="`)))
	for range 400 {
		bomb.Write(mib)
	}
	bomb.Write(gzipMember(t, []byte(`"><SiteRef LocationOID="101"/></SubjectData></ClinicalData></ODM>`)))
	if bomb.Len() > 1<<20 {
		t.Fatalf("bomb is %d bytes compressed", bomb.Len())
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(bomb.Bytes())
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, Config{BaseURL: srv.URL, Auth: BasicAuth("u", "p")})

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	subs, err := c.Subjects(t.Context(), "ALPHA(Prod)", SubjectsOptions{})
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "rws: GET studies/ALPHA(Prod)/subjects: the subject listing holds a tag or text longer than 64 KiB; refusing it") {
		t.Fatalf("bomb: %d subjects, %v", len(subs), err)
	}
	if Retryable(err) {
		t.Errorf("a refused listing is retryable: %v", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("reading the bomb allocated %d MiB", alloc>>20)
	}
	t.Logf("bomb: %d KiB compressed, %d MiB inflated; allocated %d KiB reading it", bomb.Len()>>10, 400, (after.TotalAlloc-before.TotalAlloc)>>10)
}

// TestListingBounds: each bound of a listing (total size, entries, markup RWS never sends) ends the
// read with a clear error, while the simulator's real listing passes.
func TestListingBounds(t *testing.T) {
	s := startSim(t, simrws.Options{Seed: 3})
	for _, tc := range []struct {
		name  string
		set   func(c *Client)
		want  string
		serve string // a listing served instead of the simulator's, "" for the simulator
	}{
		{name: "real listing within bounds"},
		{name: "total size", set: func(c *Client) { c.listingBytes = 1 << 10 }, want: "the subject listing is larger than 1 KiB; refusing it"},
		{name: "entries", set: func(c *Client) { c.listingEntries = 5 }, want: "the subject listing holds more than 5 subjects; refusing it"},
		{name: "doctype", serve: `<?xml version="1.0"?><!DOCTYPE ODM [<!ENTITY a "aaaa">]><ODM/>`, want: "holds a DOCTYPE, comment, CDATA section or processing instruction"},
		{name: "cdata", serve: listingHead + `<ClinicalData><![CDATA[<<<<]]></ClinicalData></ODM>`, want: "holds a DOCTYPE"},
		{name: "late processing instruction", serve: listingHead + `<?pi <<<< ?></ODM>`, want: "holds a DOCTYPE"},
		{name: "not xml", serve: `<ODM><ClinicalData></ODM>`, want: "the subject listing is not well-formed XML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := s.URL()
			if tc.serve != "" {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = fmt.Fprint(w, tc.serve) }))
				t.Cleanup(srv.Close)
				base = srv.URL
			}
			cfg := testConfig(s, &waits{})
			cfg.BaseURL = base
			c := newClient(t, cfg)
			if tc.set != nil {
				tc.set(c)
			}
			subs, err := c.Subjects(t.Context(), "ALPHA(Prod)", SubjectsOptions{})
			if tc.want == "" {
				if err != nil || len(subs) != 12 {
					t.Fatalf("%d subjects, %v", len(subs), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%d subjects, %v", len(subs), err)
			}
		})
	}
}
