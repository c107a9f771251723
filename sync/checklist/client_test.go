package checklist

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/trialsync/trialsync/sync/remote"
	simchecklist "github.com/trialsync/trialsync/sync/sim/checklist"
	"github.com/trialsync/trialsync/sync/sim/seed"
)

// TestRemoteList: a listing read page by page (cursor after cursor) holds every item once, in the
// simulator's order, decoded; 429 with Retry-After and 503 on the way are retried by sync/remote.
func TestRemoteList(t *testing.T) {
	e := defaultEngine(t)
	items := seed.SyntheticChecklist(3, 2_345, 0)
	for _, tc := range []struct{ name, faults string }{{"clean", ""}, {"429 and 503", "429storm:1@3,429:0.1,503burst:2@0.1,seed:7"}} {
		t.Run(tc.name, func(t *testing.T) {
			for _, sys := range []System{EDC, CTMS} {
				sim := startSim(t, simchecklist.Options{System: simchecklist.System(sys), Items: items, Faults: tc.faults})
				r := newRemote(t, sim, e.Adapter(sys), 100)
				recs, err := r.List(t.Context(), "ALPHA")
				if err != nil {
					t.Fatal(err)
				}
				keys := sim.Keys()
				if len(recs) != len(keys) {
					t.Fatalf("%s: %d records, %d items", sys, len(recs), len(keys))
				}
				for i, rec := range recs {
					if !rec.Mapped() || rec.SourceSite != keys[i].Site || rec.SourceCode != keys[i].Code {
						t.Fatalf("%s record %d: %+v, want %v", sys, i, rec, keys[i])
					}
				}
				if tc.faults != "" && sim.Count("429")+sim.Count("503") == 0 {
					t.Fatalf("%s: no fault met", sys)
				}
			}
		})
	}
}

// TestRemoteErrors: an unknown study is the system's 404 problem in words; a wrong token is a
// rejected credential (fatal: nothing but a new token helps) and the token appears in no error text.
func TestRemoteErrors(t *testing.T) {
	e := defaultEngine(t)
	sim := startSim(t, simchecklist.FromSeed(demoStudy(t), simchecklist.EDC))
	_, err := newRemote(t, sim, e.Adapter(EDC), 0).List(t.Context(), "OMEGA")
	var re *remote.Error
	if !errors.As(err, &re) || re.Status != 404 || !strings.Contains(err.Error(), "There is no study OMEGA") {
		t.Fatalf("unknown study: %v", err)
	}

	cfg := ClientConfig(EDC, sim.URL(), "wrong-token-value")
	cfg.Retry = fastRetries
	rc, err := remote.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	_, err = NewRemote(rc, e.Adapter(EDC), 0).List(t.Context(), "ALPHA")
	if !remote.IsFatal(err) || !errors.Is(err, remote.ErrCredentialRejected) || strings.Contains(err.Error(), "wrong-token-value") {
		t.Fatalf("wrong token: %v", err)
	}
}

// TestRemoteItemAndPut: Item reads one item as listed, or found=false; Put stores and answers the item,
// and a replay of its key answers the first result without a second effect.
func TestRemoteItemAndPut(t *testing.T) {
	e := defaultEngine(t)
	sim := startSim(t, simchecklist.FromSeed(demoStudy(t), simchecklist.CTMS))
	r := newRemote(t, sim, e.Adapter(CTMS), 0)
	path := e.Adapter(CTMS).ItemPath("101", "PI_CV")
	raw, found, err := r.Item(t.Context(), path)
	want, _ := sim.Item("101", "PI_CV")
	if err != nil || !found || !bytes.Equal(bytes.TrimSpace(raw), want) {
		t.Fatalf("Item: %v %v %s, want %s", found, err, raw, want)
	}
	if _, found, err := r.Item(t.Context(), e.Adapter(CTMS).ItemPath("101", "NOPE")); found || err != nil {
		t.Fatalf("missing item: found %v, %v", found, err)
	}

	rec := e.Adapter(CTMS).Decode(raw)
	it := rec.Item
	it.Status = Rejected
	body, err := e.Adapter(CTMS).Encode(raw, &it, []Field{FieldStatus})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		got, _, err := r.Put(t.Context(), path, body, "ck1-test")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(got, &m); err != nil || m["state"] != "Rework" {
			t.Fatalf("Put answered %s (%v)", got, err)
		}
	}
	if sim.Count("put") != 1 || sim.Count("replay") != 1 {
		t.Fatalf("%d puts, %d replays; want 1 and 1", sim.Count("put"), sim.Count("replay"))
	}
	if _, _, err := r.Put(t.Context(), path, append(body[:len(body)-1:len(body)-1], ` ,"x":1}`...), "ck1-test"); err == nil {
		t.Fatal("the same key with another body was accepted")
	} else if re := (*remote.Error)(nil); !errors.As(err, &re) || re.Status != http.StatusUnprocessableEntity {
		t.Fatalf("the same key with another body: %v", err)
	}
}
