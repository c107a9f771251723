package rws

import (
	"net/http"
	"time"
)

// handleDataset serves studies/{study}/datasets/{regular|raw}[/{form}] with the start= filter: the
// study's current values (a Rave clinical view), one ClinicalData per subject, and the view's
// refresh time in X-MWS-CV-Last-Updated. The raw view is the same as the regular one here (the
// seeded study has no coded items whose raw and coded forms differ).
func (s *Server) handleDataset(w http.ResponseWriter, r *http.Request, study, kind, form string) {
	if !s.knownStudy(w, study) {
		return
	}
	if kind != "regular" && kind != "raw" {
		iisError(w, http.StatusNotFound)
		return
	}
	var since time.Time
	if v := r.URL.Query().Get("start"); v != "" {
		t, err := parseStart(v)
		if err != nil {
			rwsError(w, http.StatusBadRequest, rwsErr{code: "RWS00019", msg: "Invalid start date " + v + "."})
			return
		}
		since = t
	}
	sn := s.snapshot(true)
	st := s.study

	last := time.Time{}
	if sn.visible > 0 {
		last = st.recordTime(sn.visible - 1)
	}
	if n := len(sn.extras); n > 0 && sn.extras[n-1].at.After(last) {
		last = sn.extras[n-1].at
	}
	if !last.IsZero() {
		w.Header()["X-MWS-CV-Last-Updated"] = []string{rwsTime(last)} // spelled as RWS spells it
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	o := newODMWriter(w)
	o.odmOpen("Snapshot", true)

	keep := func(ref itemRef, at time.Time) bool {
		return (form == "" || equalFoldOID(ref.form, form)) && (since.IsZero() || !at.Truncate(time.Second).Before(since))
	}
	for i := range st.subjects() {
		if st.recordIndex(i, 0) >= sn.visible {
			continue
		}
		name := st.subjectName(i)
		sw := subjectWriter{o: o, study: s.opts.Study, name: name, site: st.subjectSite(i), malformed: i == st.malformed}
		posted := sn.values[name]
		for j, e := range st.template {
			if e.kind != entryEntered {
				continue
			}
			cur, ok := st.currentEntry(i, j, sn.visible)
			if !ok {
				continue
			}
			value, isNull, at := st.value(i, cur), false, st.recordTime(st.recordIndex(i, cur))
			if pv, ok := posted[e.item.key()]; ok {
				value, isNull, at = pv.value, pv.isNull, pv.at
			}
			if keep(e.item, at) {
				sw.item(e.item, value, isNull)
			}
		}
		for _, pv := range (&postedState{values: sn.values}).extraItems(name, st.itemIdx) {
			if keep(pv.ref, pv.at) {
				sw.item(pv.ref, pv.value, pv.isNull)
			}
		}
		sw.close()
	}
	for _, ns := range sn.newSubjects {
		sw := subjectWriter{o: o, study: s.opts.Study, name: ns.name, site: ns.site}
		for _, pv := range (&postedState{values: sn.values}).extraItems(ns.name, nil) {
			if keep(pv.ref, pv.at) {
				sw.item(pv.ref, pv.value, pv.isNull)
			}
		}
		sw.close()
	}
	o.s("</ODM>\n")
	o.flush()
}

func parseStart(v string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02T15:04:05", v); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02", v)
}

// subjectWriter writes one subject's items, opening SubjectData on the first item and sharing
// StudyEventData/FormData/ItemGroupData between consecutive items of the same context.
type subjectWriter struct {
	o                 *odmWriter
	study, name, site string
	open              bool
	ctx               itemRef
	inCtx             bool
	malformed         bool // the first item goes out without its ItemOID (Options.MalformedSubject)
	items             int
}

func (sw *subjectWriter) item(ref itemRef, value string, isNull bool) {
	o := sw.o
	if !sw.open {
		o.s("<ClinicalData")
		o.attr("StudyOID", sw.study)
		o.s(` MetaDataVersionOID="`, metaVersion, `">`, "\n <SubjectData")
		o.attr("SubjectKey", sw.name)
		o.s("><SiteRef")
		o.attr("LocationOID", sw.site)
		o.s("/>\n")
		sw.open = true
	}
	if !sw.inCtx || !sameContext(sw.ctx, ref) {
		if sw.inCtx {
			o.contextClose()
			o.s("\n")
		}
		o.contextOpen(ref, [3]int64{}, false)
		sw.ctx, sw.inCtx = ref, true
	}
	o.s("<ItemData")
	if !sw.malformed || sw.items > 0 {
		o.attr("ItemOID", ref.item)
	}
	sw.items++
	if isNull {
		o.s(` IsNull="Yes"`)
	} else {
		o.attr("Value", value)
	}
	o.s("/>")
}

func (sw *subjectWriter) close() {
	if !sw.open {
		return
	}
	if sw.inCtx {
		sw.o.contextClose()
	}
	sw.o.s("\n </SubjectData>\n</ClinicalData>\n")
}
