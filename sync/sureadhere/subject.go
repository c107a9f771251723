package sureadhere

import (
	"time"

	"github.com/trialsync/trialsync/store"
)

// State is a subject's push state, as the subjects bucket keeps it.
type State string

// The push states. A subject moves unmapped <-> queued -> pushed <-> arm_changed; the outbox message of
// a queued subject says where its send is (pending, sending, held, dead).
const (
	// StateUnmapped: Rave's arm has no regimen in [sureadhere] regimens (or is empty); nothing is sent
	// until the configuration maps it.
	StateUnmapped State = "unmapped"
	// StateQueued: the subject is in the outbox on its way to SureAdhere.
	StateQueued State = "queued"
	// StatePushed: SureAdhere acknowledged the subject (201 created, or 409 already there).
	StatePushed State = "pushed"
	// StateArmChanged: Rave's arm changed after the push. SureAdhere's ingest cannot change a
	// patient's regimen (a second ingest of the MRN is a 409 that changes nothing), so nothing is sent:
	// a person must change the regimen in SureAdhere and acknowledge the change here.
	StateArmChanged State = "arm_changed"
)

// Push is one subject as it goes to SureAdhere: the outbox message's payload, and the subject record's
// Want. Two pushes are the same send exactly when they are equal.
type Push struct {
	Study   string  `json:"study"`
	Subject string  `json:"subject"`
	Arm     string  `json:"arm"` // Rave's arm, which Patient.Regimen was mapped from
	Patient Patient `json:"patient"`
}

// Pushed is what SureAdhere acknowledged.
type Pushed struct {
	Push
	Status    int       `json:"status"`               // 201 created, 409 already there
	PatientID int64     `json:"patient_id,omitempty"` // SureAdhere's ID, when it created the patient
	At        time.Time `json:"at"`
	Message   uint64    `json:"message"` // the outbox message that carried it
}

// ArmChange is Rave's arm moving away from the arm a pushed subject's regimen came from.
type ArmChange struct {
	From        string    `json:"from"` // the arm SureAdhere's regimen came from
	To          string    `json:"to"`   // Rave's arm now ("" when cleared)
	FromRegimen string    `json:"from_regimen"`
	ToRegimen   string    `json:"to_regimen,omitempty"` // To's regimen by the configuration, "" when unmapped
	Flagged     time.Time `json:"flagged"`
	// Acknowledged is the person's decision, nil while the change waits for one.
	Acknowledged *Decision `json:"acknowledged,omitempty"`
}

// Decision is a person's acknowledgement of an arm change.
type Decision struct {
	By     string    `json:"by"` // OS user
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// Subject is one randomized subject of a study, as the subjects bucket keeps it (store.Subjects,
// keyed by store.SubjectKey(study, subject)).
type Subject struct {
	Study   string `json:"study"`
	ID      string `json:"subject"` // the subject's ID in Rave, which SureAdhere takes as the MRN
	Site    string `json:"site"`
	Arm     string `json:"arm"`               // Rave's arm as last read
	Regimen string `json:"regimen,omitempty"` // Arm's regimen by the configuration; "" when unmapped
	State   State  `json:"state"`
	// Problem says why an unmapped subject is not sent, in a coordinator's words.
	Problem string `json:"problem,omitempty"`
	// Want is the push last queued (nil when nothing is to be sent: unmapped before any push); Message
	// the outbox message last given to this subject (0 for none), kept so that an edit before the send
	// coalesces into it.
	Want    *Push  `json:"want,omitempty"`
	Message uint64 `json:"message,omitempty"`
	// Pushed is what SureAdhere holds, nil until it acknowledged a push.
	Pushed *Pushed `json:"pushed,omitempty"`
	// Change is Rave's arm differing from Pushed's (waiting for a person, or acknowledged), nil when
	// they agree.
	Change  *ArmChange `json:"arm_change,omitempty"`
	Seen    time.Time  `json:"seen"` // first found randomized
	Updated time.Time  `json:"updated"`
}

// Key is the subject's key in the subjects bucket and in the outbox ("ALPHA(Prod)/101-001").
func (s *Subject) Key() string { return keyOf(s.Study, s.ID) }

// Object names the subject in audit entries: "subjects/ALPHA(Prod)/101-001".
func (s *Subject) Object() string { return "subjects/" + s.Key() }

func keyOf(study, subject string) string { return store.SubjectKey(study, subject).String() }
