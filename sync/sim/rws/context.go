package rws

import (
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// contextKey is the ItemGroupRepeatKey that asks Rave to find the log line by its context item.
const contextKey = "@CONTEXT"

// armRef is where the subject's randomised arm is held.
var armRef = itemRef{"SCREEN", "", "RAND", "1", "RAND", "", "RAND.ARM"}

// lineBase names a log-line group of one form instance of a subject, without the line's repeat key.
type lineBase struct {
	subject                                     string
	event, eventRepeat, form, formRepeat, group string
}

func (b lineBase) matches(r itemRef) bool {
	return r.event == b.event && r.eventRepeat == b.eventRepeat && r.form == b.form && r.formRepeat == b.formRepeat && r.group == b.group
}

// contextLines resolves the @CONTEXT log lines of one posted document: Rave finds the log line whose
// context item holds the posted value, or makes a new line after the last one (Upsert). Lines made
// earlier in the same document are found again by a later group with the same context.
type contextLines struct {
	made map[string]string // lineBase, context item and value -> the new line's repeat key
	next map[lineBase]int  // the next new line's repeat key
}

// resolveLocked returns the repeat key of the line of base whose item ctxItem holds value, and
// whether that line is new; s.mu is held.
func (s *Server) resolveLocked(cl *contextLines, base lineBase, ctxItem, value string) (repeat string, isNew bool) {
	if cl.made == nil {
		cl.made, cl.next = map[string]string{}, map[lineBase]int{}
	}
	want := strings.TrimSpace(value)
	madeKey := base.event + "\x00" + base.eventRepeat + "\x00" + base.form + "\x00" + base.formRepeat + "\x00" + base.group + "\x00" + base.subject + "\x00" + ctxItem + "\x00" + strings.ToUpper(want)
	if r, ok := cl.made[madeKey]; ok {
		return r, false
	}
	highest := 0
	found := ""
	s.eachValueLocked(base.subject, func(ref itemRef, v string) {
		if !base.matches(ref) || ref.groupRepeat == "" {
			return
		}
		if n, err := strconv.Atoi(ref.groupRepeat); err == nil && n > highest {
			highest = n
		}
		if ref.item == ctxItem && found == "" && strings.EqualFold(strings.TrimSpace(v), want) {
			found = ref.groupRepeat
		}
	})
	if found != "" {
		return found, false
	}
	n := max(highest+1, cl.next[base])
	cl.next[base] = n + 1
	repeat = strconv.Itoa(n)
	cl.made[madeKey] = repeat
	return repeat, true
}

// eachValueLocked calls f with every current value of a subject, seeded or posted; s.mu is held.
func (s *Server) eachValueLocked(subject string, f func(ref itemRef, value string)) {
	posted := s.state.values[subject]
	if si, ok := s.study.byName[subject]; ok {
		for j, e := range s.study.template {
			if e.kind != entryEntered {
				continue
			}
			if _, ok := posted[e.item.key()]; ok {
				continue
			}
			if cur, ok := s.study.currentEntry(si, j, s.visible); ok {
				f(e.item, s.study.value(si, cur))
			}
		}
	}
	for _, pv := range posted {
		if !pv.isNull {
			f(pv.ref, pv.value)
		}
	}
}

// lineHasDataLocked reports whether the log line of ref already holds a value; s.mu is held.
func (s *Server) lineHasDataLocked(subject string, ref itemRef) bool {
	has := false
	s.eachValueLocked(subject, func(r itemRef, _ string) {
		if r.event == ref.event && r.eventRepeat == ref.eventRepeat && r.form == ref.form && r.formRepeat == ref.formRepeat &&
			r.group == ref.group && r.groupRepeat == ref.groupRepeat {
			has = true
		}
	})
	return has
}

// armFormRefusal refuses a drug's exposure form for a subject whose arm does not take that drug, as
// Rave refuses a form that is not in the subject's matrix: RWS00033 at the FormData. Only forms some
// arm in Options.ArmForms lists are checked; a subject without an arm has none of them. s.mu is held.
func (s *Server) armFormRefusal(subject, form, fpath string) *postError {
	if len(s.opts.ArmForms) == 0 || !s.armForm[form] {
		return nil
	}
	arm := ""
	if pv, ok := s.currentLocked(subject, armRef); ok && !pv.isNull {
		arm = pv.value
	}
	if slices.Contains(s.opts.ArmForms[arm], form) {
		return nil
	}
	return perr(http.StatusNotFound, "RWS00033", "Form "+form+" is not available for subject "+subject+".", fpath)
}

// LogLine is one log line of a form as Rave holds it: its repeat key and its items (ItemOID -> value;
// "" for a null value).
type LogLine struct {
	Event, EventRepeat, FormRepeat, ItemGroup, Repeat string
	Items                                             map[string]string
}

// LogLines returns a subject's log lines on a form (seeded and posted, in every folder), ordered by
// folder and repeat key: what Rave shows after posts applied by context.
func (s *Server) LogLines(subject, form string) []LogLine {
	s.mu.Lock()
	defer s.mu.Unlock()
	byLine := map[[5]string]*LogLine{}
	add := func(ref itemRef, value string) {
		if ref.form != form || ref.groupRepeat == "" {
			return
		}
		k := [5]string{ref.event, ref.eventRepeat, ref.formRepeat, ref.group, ref.groupRepeat}
		l := byLine[k]
		if l == nil {
			l = &LogLine{Event: ref.event, EventRepeat: ref.eventRepeat, FormRepeat: ref.formRepeat, ItemGroup: ref.group, Repeat: ref.groupRepeat, Items: map[string]string{}}
			byLine[k] = l
		}
		l.Items[ref.item] = value
	}
	s.eachValueLocked(subject, add)
	for _, pv := range s.state.values[subject] {
		if pv.isNull {
			add(pv.ref, "")
		}
	}
	out := make([]LogLine, 0, len(byLine))
	for _, l := range byLine {
		out = append(out, *l)
	}
	num := func(s string) int { n, _ := strconv.Atoi(s); return n }
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.Event != b.Event:
			return a.Event < b.Event
		case a.EventRepeat != b.EventRepeat:
			return num(a.EventRepeat) < num(b.EventRepeat)
		case a.FormRepeat != b.FormRepeat:
			return num(a.FormRepeat) < num(b.FormRepeat)
		case a.ItemGroup != b.ItemGroup:
			return a.ItemGroup < b.ItemGroup
		}
		return num(a.Repeat) < num(b.Repeat)
	})
	return out
}
