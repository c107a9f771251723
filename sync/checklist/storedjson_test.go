package checklist

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestItemStateDecode: the scanner's fast reading of a stored item state gives what encoding/json
// gives, for stored states of every shape, and for states written by hand with surprises in them.
func TestItemStateDecode(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		str := rapid.SampledFrom([]string{"", "V1", "doc-7", `quote " and \ slash`, "é ü", "\u2028"})
		it := Item{Site: str.Draw(t, "site"), Code: str.Draw(t, "code"), Version: str.Draw(t, "version"),
			Status:        rapid.SampledFrom([]Status{"", NotStarted, InReview, Complete, Rejected}).Draw(t, "status"),
			EvidenceDocID: str.Draw(t, "doc"), MilestoneSignedOff: Flag(rapid.IntRange(0, 2).Draw(t, "flag")),
			PlannedActivationDate: Date(rapid.SampledFrom([]string{"", "2025-03-01"}).Draw(t, "date")),
			Operator:              str.Draw(t, "operator")}
		if rapid.Bool().Draw(t, "updated") {
			it.SourceUpdated = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
		}
		st := ItemState{Agreed: &Baseline{Item: it, Revision: rapid.Uint64().Draw(t, "revision")}}
		if rapid.Bool().Draw(t, "pending") {
			st.Pending = &Pending{Outcome: OutcomeWriteEDC, Writes: []PendingWrite{{System: EDC, Message: 3, State: WriteQueued}}}
		}
		b, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		checkDecode(t, b)
	})
	for _, raw := range []string{
		`{"agreed":{"site":"101","code":"A","status":"signed","revision":1}}`,
		`{"agreed":{"site":"101","code":"A","status":"complete","planned_activation_date":"2025-13-45","revision":1}}`,
		`{"agreed":{"site":"101","code":"A","status":"complete","planned_activation_date":"March","revision":1}}`,
		`{"agreed":{"site":"101","code":"A","revision":-1}}`,
		`{"agreed":{"site":7,"code":"A","revision":1}}`,
		`{"agreed":{"site":"101","code":"A","future":true,"revision":1}}`,
		`{"agreed":null}`,
		`{}`,
	} {
		checkDecode(t, []byte(raw))
	}
}

// checkDecode compares ItemState's reading of b with encoding/json's.
func checkDecode(t interface{ Fatalf(string, ...any) }, b []byte) {
	type plain ItemState
	var want plain
	werr := json.Unmarshal(b, &want)
	var got ItemState
	gerr := json.Unmarshal(b, &got)
	if (werr == nil) != (gerr == nil) || (werr == nil && !reflect.DeepEqual(ItemState(want), got)) {
		t.Fatalf("%s:\nfast %+v (%v)\njson %+v (%v)", b, got.Agreed, gerr, want.Agreed, werr)
	}
}
