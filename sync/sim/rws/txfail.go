package rws

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/trialsync/trialsync/sync/sim"
)

// txFail is the RWS simulator's own fault, txfail:P[@CODE]: a post that validated is answered HTTP
// 200 with IsTransactionSuccessful="0" and applies nothing, as Rave sometimes answers (a client must
// read the flag, not the status). CODE is the ReasonCode (default RWS00040, a locked record: a
// refusal that a later attempt gets past).
type txFail struct {
	p    float64
	code string
	rng  *rand.Rand // drawn under Server.mu
}

var reasonCodeForm = regexp.MustCompile(`^RWS\d{5}$`)

// splitFaults takes the RWS-only fault kinds out of a --faults spec and returns the rest for the
// sync/sim grammar.
func splitFaults(spec string) (core string, tf txFail, err error) {
	var rest []string
	tf.code = "RWS00040"
	for _, item := range strings.Split(spec, ",") {
		name, arg, _ := strings.Cut(strings.TrimSpace(item), ":")
		if !strings.EqualFold(name, "txfail") {
			rest = append(rest, item)
			continue
		}
		prob, code, hasCode := strings.Cut(arg, "@")
		p, perr := strconv.ParseFloat(prob, 64)
		if perr != nil || p < 0 || p > 1 {
			return "", txFail{}, fmt.Errorf("sim: faults %q: txfail: %q is not a probability between 0 and 1", spec, prob)
		}
		if hasCode && !reasonCodeForm.MatchString(code) {
			return "", txFail{}, fmt.Errorf("sim: faults %q: txfail: %q is not an RWS reason code such as RWS00040", spec, code)
		}
		tf.p = p
		if hasCode {
			tf.code = code
		}
	}
	return strings.Join(rest, ","), tf, nil
}

// hitLocked draws whether this post meets the fault; s.mu is held.
func (t *txFail) hitLocked() bool { return t.p > 0 && t.rng.Float64() < t.p }

// answer writes the failed transaction: HTTP 200, IsTransactionSuccessful="0", the reason code at
// the document's first log line (or subject), nothing touched.
func (t *txFail) answer(w http.ResponseWriter, doc postDoc) {
	origin := "/ODM/ClinicalData[1]/SubjectData[1]"
	if len(doc.Clinical) > 0 && len(doc.Clinical[0].Subjects) > 0 {
		sd := doc.Clinical[0].Subjects[0]
		if len(sd.Events) > 0 && len(sd.Events[0].Forms) > 0 && len(sd.Events[0].Forms[0].Groups) > 0 {
			origin += "/StudyEventData[1]/FormData[1]/ItemGroupData[1]"
		}
	}
	msg := "The transaction could not be completed."
	if t.code == "RWS00040" {
		msg = "Record is locked for editing by another user."
	}
	rwsError(w, http.StatusOK, rwsErr{code: t.code, msg: msg, origin: origin, fileOID: doc.FileOID, post: true})
}

// CheckFaults reports whether spec is a fault spec the RWS simulator takes: the sync/sim grammar and
// txfail:P[@CODE]. A command line checks it before starting, to tell a usage error from a failure.
func CheckFaults(spec string) error {
	core, _, err := splitFaults(spec)
	if err != nil {
		return err
	}
	_, err = sim.ParseFaults(core, 1)
	return err
}
