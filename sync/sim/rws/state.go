package rws

import (
	"sort"
	"time"
)

// postedState is what PostODMClinicalData changed: values, subjects, and the audit records those
// changes wrote. The seeded study itself is never stored; this holds only the differences.
type postedState struct {
	values      map[string]map[string]postedValue // subject name -> item key -> value
	newSubjects []newSubject
	extras      []auditExtra // audit records written by posts, in ID order
	nextID      int64        // 0 until the first post
}

type postedValue struct {
	ref    itemRef
	value  string
	isNull bool
	at     time.Time
	id     int64 // audit ID of the change
}

type newSubject struct {
	name, uuid, site string
	created          time.Time
}

// auditExtra is an audit record written by a post.
type auditExtra struct {
	id                   int64
	subject, uuid, site  string
	subjectCreated       bool
	ref                  itemRef
	value                string
	isNull               bool
	user, reason, subcat string
	at                   time.Time
}

func newPostedState() *postedState {
	return &postedState{values: map[string]map[string]postedValue{}}
}

// extraItems returns the posted values of a subject that are not part of the seeded template, in key order.
func (p *postedState) extraItems(subject string, template map[string]int) []postedValue {
	var out []postedValue
	for k, v := range p.values[subject] {
		if _, ok := template[k]; !ok {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ref.key() < out[j].ref.key() })
	return out
}

// ItemKey names one item value of a subject, for tests reading the simulator's state back.
type ItemKey struct {
	Subject                    string // subject name, e.g. "101-001"
	Event, EventRepeat         string
	Form, FormRepeat           string
	ItemGroup, ItemGroupRepeat string
	Item                       string
}

func (k ItemKey) ref() itemRef {
	return itemRef{k.Event, k.EventRepeat, k.Form, orOne(k.FormRepeat), k.ItemGroup, k.ItemGroupRepeat, k.Item}
}

// Value returns the current value of an item (seeded or posted) and whether it exists.
func (s *Server) Value(k ItemKey) (value string, isNull, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := k.ref()
	if pv, ok := s.state.values[k.Subject][ref.key()]; ok {
		return pv.value, pv.isNull, true
	}
	si, ok := s.study.subjectIndex(k.Subject)
	if !ok {
		return "", false, false
	}
	j, ok := s.study.itemIdx[ref.key()]
	if !ok {
		return "", false, false
	}
	cur, ok := s.study.currentEntry(si, j, s.visible)
	if !ok {
		return "", false, false
	}
	return s.study.value(si, cur), false, true
}
