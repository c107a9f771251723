package exposure

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
)

func TestChanges(t *testing.T) {
	base := Values{StartTime: "08:30", Prescribed: "2", Taken: "2", Mode: "Video", WithFood: "Yes"}
	with := func(edit func(*Values)) Values {
		v := base
		edit(&v)
		return v
	}
	tests := []struct {
		name    string
		acked   *Values
		desired Values
		want    []Item
	}{
		{"first send carries every item", nil, base, []Item{
			{ItemStartTime, "08:30"}, {ItemPrescribed, "2"}, {ItemTaken, "2"}, {ItemMode, "Video"}, {ItemWithFood, "Yes"}}},
		{"first send writes empty values as empty", nil, Values{Prescribed: "1", Taken: "0"}, []Item{
			{ItemStartTime, ""}, {ItemPrescribed, "1"}, {ItemTaken, "0"}, {ItemMode, ""}, {ItemWithFood, ""}}},
		{"no change sends nothing", &base, base, nil},
		{"taken goes to 0", &base, with(func(v *Values) { v.Taken = "0" }), []Item{{ItemTaken, "0"}}},
		{"two changes in writing order", &base, with(func(v *Values) { v.WithFood, v.StartTime = "No", "09:00" }),
			[]Item{{ItemStartTime, "09:00"}, {ItemWithFood, "No"}}},
		{"a value cleared is sent empty", &base, with(func(v *Values) { v.StartTime, v.Mode = "", "" }),
			[]Item{{ItemStartTime, ""}, {ItemMode, ""}}},
		{"text, not numbers: 2 and 2.0 differ", &base, with(func(v *Values) { v.Taken = "2.0" }), []Item{{ItemTaken, "2.0"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Changes(tt.acked, tt.desired)
			if ok != (len(tt.want) > 0) {
				t.Errorf("ok = %v with %d items wanted", ok, len(tt.want))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

// TestEditsCoalesce: edits made before a send replace the desired values; the send carries the
// difference between what Rave acknowledged and the last edit, not the edits in between.
func TestEditsCoalesce(t *testing.T) {
	rec := func(taken, food string) Record {
		r, err := testRules.Check(Input{Subject: "101-001", Site: "101", Drug: "Isoniazid", StartDate: "2024-11-03",
			Prescribed: "2", Taken: taken, WithFood: food})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	line := rec("2", "Yes").LogLine()
	first, ok := Plan(line, nil)
	if !ok || !first.First || len(first.Items) != 5 {
		t.Fatalf("first plan %+v", first)
	}
	acked := first.Acked // Rave acknowledged the first send

	// Three edits while offline: 2 -> 1 -> 0 tablets, food Yes -> No -> Yes.
	for _, r := range []Record{rec("1", "No"), rec("0", "No"), rec("0", "Yes")} {
		if r.LogLine().Key != line.Key {
			t.Fatalf("an edit changed the log line key: %v", r.LogLine().Key)
		}
		line = r.LogLine()
	}
	send, ok := Plan(line, &acked)
	if !ok || send.First {
		t.Fatalf("second plan %+v", send)
	}
	if want := []Item{{ItemTaken, "0"}}; !reflect.DeepEqual(send.Items, want) {
		t.Fatalf("coalesced send %v, want %v", send.Items, want)
	}
	acked = send.Acked
	if _, ok := Plan(line, &acked); ok {
		t.Fatal("a re-import of the acknowledged state should send nothing")
	}
}

// TestInFlightSendKeepsWhatWasSent: the acknowledged state after a send is what that send carried, even
// when the desired state moved on while it was in flight, so the change made meanwhile is still sent.
func TestInFlightSendKeepsWhatWasSent(t *testing.T) {
	line := LogLine{Key: Key{"101-001", "EX_INH", "2024-11-03"}, Site: "101", Values: Values{Prescribed: "2", Taken: "2"}}
	inFlight, _ := Plan(line, nil)
	line.Values.Taken = "1" // edited while the POST is in flight
	acked := inFlight.Acked
	next, ok := Plan(line, &acked)
	if !ok || !reflect.DeepEqual(next.Items, []Item{{ItemTaken, "1"}}) {
		t.Fatalf("next send %+v, want taken 1", next)
	}
}

// TestSendRoundTripsJSON: what the outbox stores decodes back to the same send.
func TestSendRoundTripsJSON(t *testing.T) {
	s, _ := Plan(LogLine{Key: Key{"101-001", "EX_INH", "2024-11-03"}, Site: "101", Drug: "Isoniazid",
		Values: Values{StartTime: "08:30", Prescribed: "2", Taken: "0", Mode: "Video", WithFood: "No"}}, nil)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Send
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Fatalf("round trip\n got %+v\nwant %+v\n%s", back, s, b)
	}
}

// apply is what Rave does with a send: the items overwrite the acknowledged values.
func apply(acked *Values, items []Item) Values {
	var v Values
	if acked != nil {
		v = *acked
	}
	for _, it := range items {
		switch it.Name {
		case ItemStartTime:
			v.StartTime = it.Value
		case ItemPrescribed:
			v.Prescribed = it.Value
		case ItemTaken:
			v.Taken = it.Value
		case ItemMode:
			v.Mode = it.Value
		case ItemWithFood:
			v.WithFood = it.Value
		}
	}
	return v
}

// TestChangesProperty: for random acknowledged and desired states, applying the changes to what Rave
// holds gives the desired state, only differing items are sent, and each item at most once.
func TestChangesProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() string { return []string{"", "0", "1", "2", "2.0", "Yes", "08:30"}[rng.IntN(7)] }
	randValues := func() Values {
		return Values{StartTime: pick(), Prescribed: pick(), Taken: pick(), Mode: pick(), WithFood: pick()}
	}
	for i := range 20000 {
		desired := randValues()
		var acked *Values
		if i%5 != 0 {
			a := randValues()
			acked = &a
		}
		items, ok := Changes(acked, desired)
		if got := apply(acked, items); got != desired {
			t.Fatalf("acked %+v desired %+v: applying %v gives %+v", acked, desired, items, got)
		}
		seen := map[string]bool{}
		for _, it := range items {
			if seen[it.Name] {
				t.Fatalf("%s sent twice: %v", it.Name, items)
			}
			seen[it.Name] = true
		}
		switch {
		case acked == nil && len(items) != 5:
			t.Fatalf("a first send carried %d items", len(items))
		case acked != nil && ok != (*acked != desired):
			t.Fatalf("acked %+v desired %+v: ok %v", acked, desired, ok)
		case acked != nil:
			for _, it := range items {
				if apply(acked, nil) == apply(acked, []Item{it}) {
					t.Fatalf("item %v sent though Rave already has it", it)
				}
			}
		}
	}
}
