package exposure

// Item names of the exposure log-line form (the Rave field OIDs, without the form prefix; see ItemOID).
const (
	ItemStartDate  = "EXSTDAT" // the Context item: finds the log line, never changed by a send
	ItemStartTime  = "EXSTTIM"
	ItemPrescribed = "EXPNUM"
	ItemTaken      = "EXNUM"
	ItemMode       = "EXMODE"
	ItemWithFood   = "EXFOOD"
)

// Key names one log line: Rave keeps one line per subject, form and start date, and finds it again by
// the start date (the Context item). Changing any part of the key is a different log line; log lines are
// never removed.
type Key struct {
	Subject   string `json:"subject"`
	Form      string `json:"form"`       // FormOID
	StartDate string `json:"start_date"` // YYYY-MM-DD
}

// String renders the key for people and logs: "101-001 EX_INH 2024-11-03".
func (k Key) String() string { return k.Subject + " " + k.Form + " " + k.StartDate }

// Values are the items of a log line other than its Context.
type Values struct {
	StartTime  string `json:"start_time"`
	Prescribed string `json:"tablets_prescribed"`
	Taken      string `json:"tablets_taken"`
	Mode       string `json:"mode"`
	WithFood   string `json:"with_food"`
}

// items returns the values as items, in the order they are written to Rave.
func (v Values) items() []Item {
	return []Item{
		{Name: ItemStartTime, Value: v.StartTime},
		{Name: ItemPrescribed, Value: v.Prescribed},
		{Name: ItemTaken, Value: v.Taken},
		{Name: ItemMode, Value: v.Mode},
		{Name: ItemWithFood, Value: v.WithFood},
	}
}

// LogLine is the desired state of one exposure log line. The exposures bucket keeps it with the values
// Rave last acknowledged; edits made before a send simply overwrite Values, so they coalesce: what is
// sent is always the difference between the acknowledged and the desired state, never a replay of edits.
type LogLine struct {
	Key    Key    `json:"key"`
	Site   string `json:"site"` // SiteRef LocationOID of the subject
	Drug   string `json:"drug"` // the drug name the record came with, for people
	Values Values `json:"values"`
}

// Item is one ItemData to write: Name is the field (ItemStartTime, …), Value its text ("" writes an
// empty value).
type Item struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Changes returns the items to send to bring Rave from acked (nil: nothing sent yet) to desired, in
// writing order, and whether there is anything to send.
//
// A first send carries every item, with "" where there is no value, so the new log line is complete.
// A later send carries only the items whose text differs (a count going from 2 to 0 is a change, and
// sends "0"); when nothing differs there is nothing to send.
func Changes(acked *Values, desired Values) ([]Item, bool) {
	all := desired.items()
	if acked == nil {
		return all, true
	}
	old := acked.items()
	var out []Item
	for i, it := range all {
		if it.Value != old[i].Value {
			out = append(out, it)
		}
	}
	return out, len(out) > 0
}

// Send is one log line's part of a POST: the line, the items that change, and the values Rave holds once
// the POST is acknowledged (what to store as the new acknowledged state: the desired state may have moved
// on while the POST was in flight, and the next send must start from what Rave really has).
type Send struct {
	Key   Key    `json:"key"`
	Site  string `json:"site"`
	Items []Item `json:"items"`
	First bool   `json:"first"` // the log line's first send (every item carried)
	// Acked is the state Rave holds after this send succeeds.
	Acked Values `json:"acked"`
}

// Plan returns the send that brings line's log line from acked (nil: never sent) to its desired values,
// and false when there is nothing to send.
func Plan(line LogLine, acked *Values) (Send, bool) {
	items, ok := Changes(acked, line.Values)
	if !ok {
		return Send{}, false
	}
	return Send{Key: line.Key, Site: line.Site, Items: items, First: acked == nil, Acked: line.Values}, true
}
