package exposure

import (
	"fmt"
	"strconv"
	"strings"
)

// Statistics is RWS's SuccessStatistics read leniently: "Rave objects touched: Subjects=0; Folders=0;
// Forms=0; Fields=1; LogLines=0". Object names RWS adds later are kept, parts that cannot be read are
// kept as they were, and "N/A" (or anything without the "Rave objects touched:" lead) gives Given false.
// Nothing here fails: the answer's IsTransactionSuccessful decides success, the statistics only check it.
type Statistics struct {
	Given      bool
	Counts     map[string]int
	Unreadable []string // parts that were not Name=number
}

// ParseStatistics reads a SuccessStatistics attribute.
func ParseStatistics(s string) Statistics {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "Rave objects touched:")
	if !ok {
		return Statistics{}
	}
	st := Statistics{Given: true, Counts: map[string]int{}}
	for _, part := range strings.Split(rest, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if k = strings.TrimSpace(k); !ok || err != nil || k == "" || n < 0 {
			st.Unreadable = append(st.Unreadable, part)
			continue
		}
		st.Counts[k] = n
	}
	return st
}

// Compare checks what Rave says it touched against what the POST should have touched and describes any
// mismatch in one sentence for the queue screen ("" when the answer is consistent). It is lenient where
// Rave's counting is not documented and strict where a difference means something went wrong:
//
//   - a subject touched is a mismatch: an exposure POST only updates an existing subject;
//   - more fields or log lines than the POST carried is a mismatch;
//   - nothing touched at all is a mismatch for a first attempt (the data did not land), but not for a
//     resent POST, which Rave may already have applied (it finds the line by its Context and changes
//     nothing);
//   - fewer fields than carried is not (Rave does not count a field it leaves as it was, such as an
//     empty item on a new line), nor are counts RWS leaves out or object names it adds.
//
// Statistics that were not given ("N/A") or that could not be read are reported as such, since a check
// that did not happen should be seen.
func (e Expected) Compare(st Statistics) string {
	if !st.Given {
		return "Rave did not report what it changed (SuccessStatistics N/A), so the send could not be checked"
	}
	var probs []string
	if n := st.Counts["Subjects"]; n > 0 {
		probs = append(probs, fmt.Sprintf("Rave reports %d subject(s) touched, the send only adds dose lines to an existing subject", n))
	}
	fields, hasFields := st.Counts["Fields"]
	lines, hasLines := st.Counts["LogLines"]
	if hasFields && fields > e.Fields {
		probs = append(probs, fmt.Sprintf("Rave reports %d fields touched, the send carried %d", fields, e.Fields))
	}
	if hasLines && lines > e.LogLines {
		probs = append(probs, fmt.Sprintf("Rave reports %d log lines touched, the send carried %d", lines, e.LogLines))
	}
	if !e.Resent && e.Fields > 0 && hasFields && fields == 0 && (!hasLines || lines == 0) {
		probs = append(probs, fmt.Sprintf("Rave reports nothing touched, the send carried %d fields", e.Fields))
	}
	if len(st.Unreadable) > 0 {
		probs = append(probs, fmt.Sprintf("part of Rave's statistics could not be read (%s)", strings.Join(st.Unreadable, "; ")))
	}
	return strings.Join(probs, "; ")
}
