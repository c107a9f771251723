package checklist

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestPlanListings lines up two whole listings: order, gaps both ways, duplicates, records without a key,
// unmapped records, items both systems deleted, and the summary line.
func TestPlanListings(t *testing.T) {
	e := defaultEngine(t)
	item := func(site, code string, st Status) Item {
		return Item{Site: site, Code: code, Version: "V1", Status: st, MilestoneSignedOff: FlagNo,
			SourceUpdated: utc(t, "2025-03-01T10:00:00Z")}
	}
	edcRaw := func(it Item) Record { return e.Adapter(EDC).Decode(raw(t, e, EDC, it)) }
	ctmsRaw := func(it Item) Record { return e.Adapter(CTMS).Decode(raw(t, e, CTMS, it)) }
	base := func(it Item) Baseline {
		it.SourceUpdated = utc(t, "0001-01-01T00:00:00Z")
		return Baseline{Item: it, Revision: 1}
	}
	in := Input{
		// Out of key order on purpose.
		EDC: []Record{
			edcRaw(item("102", "IRB", Complete)),                  // write_ctms: the EDC owns the status
			edcRaw(item("101", "TRAINING", NotStarted)),           // in_sync
			edcRaw(item("101", "LAB", NotStarted)),                // gap: missing in the CTMS
			e.Adapter(EDC).Decode(fixture(t, "edc/no_site.json")), // unmapped, no key: last
			edcRaw(item("103", "DUP", NotStarted)),                // unmapped: twice in the listing
			edcRaw(item("103", "DUP", InReview)),
			e.Adapter(EDC).Decode(fixture(t, "edc/unknown_status.json")), // 101/LAB-CERT unmapped
		},
		CTMS: []Record{
			ctmsRaw(item("101", "TRAINING", NotStarted)),
			ctmsRaw(item("102", "IRB", NotStarted)),
			ctmsRaw(item("101", "LAB-CERT", NotStarted)),
			ctmsRaw(item("102", "CV", NotStarted)), // gap: missing in the EDC
			ctmsRaw(item("103", "DUP", NotStarted)),
		},
		Baselines: map[Key]Baseline{
			{"101", "TRAINING"}: base(item("101", "TRAINING", NotStarted)),
			{"102", "IRB"}:      base(item("102", "IRB", NotStarted)),
			{"104", "GONE"}:     base(item("104", "GONE", Complete)), // deleted on both sides
		},
		Open: map[Key]bool{{"105", "GONE"}: true, {"101", "TRAINING"}: false},
	}
	p := e.Plan(in)
	type got struct {
		key     string
		outcome Outcome
	}
	var gotList []got
	for _, d := range p.Decisions {
		gotList = append(gotList, got{d.Key.String(), d.Outcome})
	}
	want := []got{
		{"101/LAB", OutcomeGap},
		{"101/LAB-CERT", OutcomeUnmapped},
		{"101/TRAINING", OutcomeInSync},
		{"102/CV", OutcomeGap},
		{"102/IRB", OutcomeWriteCTMS},
		{"103/DUP", OutcomeUnmapped},
		{"104/GONE", OutcomeInSync},
		{"105/GONE", OutcomeInSync},
		{"/TRAINING", OutcomeUnmapped},
	}
	if !reflect.DeepEqual(gotList, want) {
		t.Fatalf("decisions\n got %v\nwant %v", gotList, want)
	}
	const line = "reconciled 9 items: in_sync 3, write_ctms 1, write_edc 0, write_both 0, conflict 0, gap 2, unmapped 3"
	if s := p.Counts.String(); s != line {
		t.Errorf("summary\n got %s\nwant %s", s, line)
	}
	d := p.Decisions
	if d[0].Missing != CTMS || d[0].EDC == nil || d[0].CTMS != nil || d[3].Missing != EDC {
		t.Errorf("gaps: %+v / %+v", d[0], d[3])
	}
	if len(d[1].Defects) != 1 || d[1].Defects[0].System != EDC || d[1].CTMS == nil ||
		d[1].Defects[0].Reason != `status "WITHDRAWN" is not in the EDC vocabulary (DRAFT, SUBMITTED, APPROVED, RETURNED)` ||
		string(d[1].Defects[0].Raw) != string(fixture(t, "edc/unknown_status.json")) {
		t.Errorf("unmapped status: %+v", d[1].Defects)
	}
	if len(d[5].Defects) != 2 || d[5].Defects[0].Reason != "item 103/DUP appears 2 times in the EDC listing" || len(d[5].Writes) != 0 {
		t.Errorf("duplicates: %+v", d[5].Defects)
	}
	if !d[6].DropBaseline || d[6].ClosesConflict || !d[7].ClosesConflict || d[7].DropBaseline {
		t.Errorf("deleted on both sides: %+v / %+v", d[6], d[7])
	}
	if len(d[8].Defects) != 1 || d[8].Defects[0].Reason != "siteId is missing" {
		t.Errorf("keyless: %+v", d[8].Defects)
	}
	for _, x := range d {
		if (x.Outcome == OutcomeGap || x.Outcome == OutcomeUnmapped) && (len(x.Writes) > 0 || x.Baseline != nil) {
			t.Errorf("%s %s writes or moves its baseline", x.Key, x.Outcome)
		}
	}
}

// TestNormalisedValuesAgree: the same values spelt differently are the same values; nothing is written.
func TestNormalisedValuesAgree(t *testing.T) {
	e := defaultEngine(t)
	edc := e.Adapter(EDC).Decode(json.RawMessage(`{"siteId":" 101","code":"fda-1572 ","version":"v1","status":"submitted",
		"documentId":" doc-1 ","plannedActivation":"2025-04-01T00:00:00Z","updatedAt":"2031-01-01T00:00:00+14:00"}`))
	ctms := e.Adapter(CTMS).Decode(json.RawMessage(`{"site":"101","taskCode":"FDA-1572","formVersion":"V1","state":"PENDING QC",
		"documentId":"DOC-1","signedOff":null,"plannedActivation":"2025-04-01","modifiedUtc":"1999-12-31T23:59:59-12:00"}`))
	emptyEDC := e.Adapter(EDC).Decode(json.RawMessage(`{"siteId":"101","code":"IRB","status":"DRAFT","documentId":"",
		"plannedActivation":"","updatedAt":"2025-01-01T00:00:00Z"}`))
	nullCTMS := e.Adapter(CTMS).Decode(json.RawMessage(`{"site":"101","taskCode":"IRB","state":"Pending","documentId":null,
		"formVersion":null,"plannedActivation":null,"modifiedUtc":"2025-01-01T00:00:00Z"}`))
	for _, tc := range []struct {
		name      string
		edc, ctms Record
	}{{"spelling, case, white space, date forms", edc, ctms}, {"null and empty", emptyEDC, nullCTMS}} {
		t.Run(tc.name, func(t *testing.T) {
			p := e.Plan(Input{EDC: []Record{tc.edc}, CTMS: []Record{tc.ctms},
				Baselines: map[Key]Baseline{tc.edc.Key(): {Item: tc.ctms.Item}}})
			d := p.Decisions[0]
			if d.Outcome != OutcomeInSync || len(d.Writes) != 0 {
				t.Fatalf("%s %+v", d.Outcome, d.Writes)
			}
		})
	}
}

// TestIdempotencyKeys: the same plan made again gives the same keys; any change of payload or state gives
// new ones.
func TestIdempotencyKeys(t *testing.T) {
	e := defaultEngine(t)
	edcIt, ctmsIt := agreed, agreed
	edcIt.MilestoneSignedOff = NoFlag
	edcIt.Status = Complete
	edcIt.SourceUpdated = utc(t, "2025-03-01T10:00:00Z")
	ctmsIt.SourceUpdated = utc(t, "2025-03-01T09:00:00Z")
	in := func(ctms Item, rev uint64) Input {
		return Input{EDC: []Record{record(t, e, EDC, edcIt)}, CTMS: []Record{record(t, e, CTMS, ctms)},
			Baselines: map[Key]Baseline{agreed.Key(): {Item: agreed, Revision: rev}}}
	}
	key := func(in Input) string {
		t.Helper()
		d := e.Plan(in).Decisions[0]
		if d.Outcome != OutcomeWriteCTMS {
			t.Fatalf("%s", d.Outcome)
		}
		return d.Writes[0].IdempotencyKey
	}
	first := key(in(ctmsIt, 1))
	if again := key(in(ctmsIt, 1)); again != first {
		t.Errorf("the same plan made twice: %s, then %s", first, again)
	}
	later := ctmsIt
	later.SourceUpdated = utc(t, "2025-03-02T09:00:00Z")
	other := ctmsIt
	other.Operator = "someone else"
	for name, k := range map[string]string{
		"the target's record changed":   key(in(later, 1)),
		"a field trialsync only reads":  key(in(other, 1)),
		"the baseline moved since then": key(in(ctmsIt, 2)),
	} {
		if k == first {
			t.Errorf("%s: the key stays %s", name, k)
		}
	}
	if len(first) != len("ck1-")+32 {
		t.Errorf("key %q", first)
	}
}
