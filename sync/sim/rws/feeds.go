package rws

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// snapshot is what one GET answer reads, copied under the lock so a long stream never holds it.
type snapshot struct {
	visible     int64
	extras      []auditExtra
	values      map[string]map[string]postedValue
	newSubjects []newSubject
}

func (s *Server) snapshot(withValues bool) snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	sn := snapshot{visible: s.visible, extras: s.state.extras, newSubjects: append([]newSubject(nil), s.state.newSubjects...)}
	if withValues {
		sn.values = make(map[string]map[string]postedValue, len(s.state.values))
		for subj, m := range s.state.values {
			c := make(map[string]postedValue, len(m))
			for k, v := range m {
				c[k] = v
			}
			sn.values[subj] = c
		}
	}
	return sn
}

func (s *Server) knownStudy(w http.ResponseWriter, study string) bool {
	if equalFoldOID(study, s.opts.Study) {
		return true
	}
	rwsError(w, http.StatusNotFound, rwsErr{code: "RWS00014", msg: "Study " + study + " not found."})
	return false
}

// handleStudies lists the one study the account can see.
func (s *Server) handleStudies(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	o := newODMWriter(w)
	o.odmOpen("Snapshot", true)
	project, env := splitStudy(s.opts.Study)
	name := project
	if !strings.EqualFold(env, "Prod") {
		name = project + " (" + env + ")"
	}
	o.s(`<Study`)
	o.attr("OID", s.opts.Study)
	o.s("><GlobalVariables><StudyName>")
	o.text(name)
	o.s("</StudyName><StudyDescription/><ProtocolName>")
	o.text(project)
	o.s("</ProtocolName></GlobalVariables></Study>\n</ODM>\n")
	o.flush()
}

func splitStudy(oid string) (project, env string) {
	if i := strings.LastIndexByte(oid, '('); i > 0 && strings.HasSuffix(oid, ")") {
		return oid[:i], oid[i+1 : len(oid)-1]
	}
	return oid, "Prod"
}

// handleSubjects lists the study's subjects with the status, include, subjectKeyType and links options.
func (s *Server) handleSubjects(w http.ResponseWriter, r *http.Request, study string) {
	if !s.knownStudy(w, study) {
		return
	}
	q := r.URL.Query()
	uuidKeys := q.Get("subjectKeyType") == "SubjectUUID"
	status := q.Get("status") == "all"
	links := q.Get("links") == "all"
	if kt := q.Get("subjectKeyType"); kt != "" && kt != "SubjectUUID" && kt != "SubjectName" {
		rwsError(w, http.StatusBadRequest, rwsErr{code: "RWS00019", msg: "Invalid subjectKeyType " + kt + "."})
		return
	}
	sn := s.snapshot(false)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	o := newODMWriter(w)
	o.odmOpen("Snapshot", true)
	one := func(name, uuid, site string, incomplete bool) {
		o.s(`<ClinicalData`)
		o.attr("StudyOID", s.opts.Study)
		o.s(` MetaDataVersionOID="`, metaVersion, `"><SubjectData`)
		if uuidKeys {
			o.attr("SubjectKey", uuid)
			o.attr("mdsol:SubjectKeyType", "SubjectUUID")
			o.attr("mdsol:SubjectName", name)
		} else {
			o.attr("SubjectKey", name)
		}
		if status {
			inc := "No"
			if incomplete {
				inc = "Yes"
			}
			o.s(` mdsol:Overdue="No" mdsol:Touched="Yes" mdsol:Empty="No" mdsol:Incomplete="`, inc, `" mdsol:Locked="No" mdsol:Frozen="No" mdsol:Signed="No"`)
		}
		o.s("><SiteRef")
		o.attr("LocationOID", site)
		o.s("/>")
		if links {
			o.s(`<mdsol:Link xlink:type="simple"`)
			o.attr("xlink:href", "http://"+r.Host+"/MedidataRAVE/HandleLink.aspx?page=SubjectPage.aspx?ID="+uuid[:8])
			o.s("/>")
		}
		o.s("</SubjectData></ClinicalData>\n")
	}
	st := s.study
	last := len(st.template) - 1
	for i := range st.subjects() {
		created := st.recordIndex(i, 0) < sn.visible
		if !created {
			continue
		}
		one(st.subjectName(i), st.subjectUUID(i), st.subjectSite(i), st.recordIndex(i, last) >= sn.visible)
	}
	for _, ns := range sn.newSubjects {
		one(ns.name, ns.uuid, ns.site, true)
	}
	o.s("</ODM>\n")
	o.flush()
}

// handleAudit serves one page of datasets/ClinicalAuditRecords.odm: the study's records whose audit
// IDs fall in [startid, startid+per_page), with the next page only in the Link header.
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	study := q.Get("studyoid")
	if study == "" {
		rwsError(w, http.StatusBadRequest, rwsErr{code: "RWS00014", msg: "Study not specified."})
		return
	}
	if !s.knownStudy(w, study) {
		return
	}
	startID, perPage := int64(1), int64(100)
	if v := q.Get("startid"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			rwsError(w, http.StatusBadRequest, rwsErr{code: "RWS00019", msg: "Invalid startid " + v + "."})
			return
		}
		startID = n
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			rwsError(w, http.StatusBadRequest, rwsErr{code: "RWS00019", msg: "Invalid per_page " + v + "."})
			return
		}
		perPage = n
	}
	end := startID + perPage
	if end < startID { // overflow
		end = 1<<63 - 1
	}
	sn := s.snapshot(false)
	st := s.study
	lay := st.layout

	tenantLast := int64(0)
	if sn.visible > 0 {
		tenantLast = lay.id(sn.visible - 1)
	}
	if n := len(sn.extras); n > 0 {
		tenantLast = max(tenantLast, sn.extras[n-1].id)
	}
	if end <= tenantLast {
		next := lay.existingFrom(end)
		u := url.URL{Scheme: "http", Host: r.Host, Path: "/RaveWebServices/datasets/ClinicalAuditRecords.odm"}
		u.RawQuery = "studyoid=" + url.QueryEscape(study) + "&startid=" + strconv.FormatInt(next, 10) + "&per_page=" + strconv.FormatInt(perPage, 10)
		w.Header().Set("Link", "<"+u.String()+`>; rel="next"`)
	}
	w.Header().Set("Content-Type", "text/xml")
	o := newODMWriter(w)
	o.s(`<ODM ODMVersion="1.3" FileType="Transactional" FileOID="`, newUUID(), `" CreationDateTime="`, rwsTime(time.Now()),
		`" xmlns="`, odmNS, `" xmlns:mdsol="`, mdsolNS, "\">\n")
	for k := lay.firstAtOrAfter(startID); k < sn.visible; k++ {
		id := lay.id(k)
		if id >= end {
			break
		}
		s.writeAuditRecord(o, k, id)
	}
	for _, x := range sn.extras {
		if x.id >= startID && x.id < end {
			writeExtraRecord(o, s.opts.Study, x)
		}
	}
	o.s("</ODM>\n")
	o.flush()
}

// writeAuditRecord writes generated record k, Rave style.
func (s *Server) writeAuditRecord(o *odmWriter, k, id int64) {
	st := s.study
	subj, j := st.recordAt(k)
	e := st.template[j]
	site := st.subjectSite(subj)
	subcat, reason := "Entered", ""
	switch e.kind {
	case entrySubjectCreated:
		subcat = "SubjectCreated"
	case entryCorrected:
		subcat, reason = "EnteredWithChangeCode", "Data Entry Error"
	}
	o.s(`<ClinicalData`)
	o.attr("StudyOID", s.opts.Study)
	o.s(` MetaDataVersionOID="`, metaVersion, `" mdsol:AuditSubCategoryName="`, subcat, "\">\n <SubjectData")
	o.attr("SubjectKey", st.subjectUUID(subj))
	o.s(` mdsol:SubjectKeyType="SubjectUUID"`)
	o.attr("mdsol:SubjectName", st.subjectName(subj))
	rec := func() {
		o.s("<AuditRecord><UserRef")
		o.attr("UserOID", st.auditUser(subj, j))
		o.s("/><LocationRef")
		o.attr("LocationOID", site)
		o.s("/><DateTimeStamp>", rwsTime(st.recordTime(k)), "</DateTimeStamp><ReasonForChange>")
		o.text(reason)
		o.s("</ReasonForChange><SourceID>")
		o.int(id)
		o.s("</SourceID></AuditRecord>")
	}
	if e.kind == entrySubjectCreated {
		o.s(` TransactionType="Upsert">`)
		rec()
		o.s("<SiteRef")
		o.attr("LocationOID", site)
		o.s("/></SubjectData>\n</ClinicalData>\n")
		return
	}
	o.s("><SiteRef")
	o.attr("LocationOID", site)
	o.s("/>")
	o.contextOpen(e.item, st.instanceIDs(subj, e.item), true)
	o.s("<ItemData")
	if subj != st.malformed || j != 1 { // entry 1 is the subject's first item record
		o.attr("ItemOID", e.item.item)
	}
	o.s(` TransactionType="Upsert"`)
	o.attr("Value", st.value(subj, j))
	o.s(">")
	rec()
	o.s("</ItemData>")
	o.contextClose()
	o.s("</SubjectData>\n</ClinicalData>\n")
}

func writeExtraRecord(o *odmWriter, study string, x auditExtra) {
	o.s(`<ClinicalData`)
	o.attr("StudyOID", study)
	o.s(` MetaDataVersionOID="`, metaVersion, `"`)
	o.attr("mdsol:AuditSubCategoryName", x.subcat)
	o.s(">\n <SubjectData")
	o.attr("SubjectKey", x.uuid)
	o.s(` mdsol:SubjectKeyType="SubjectUUID"`)
	o.attr("mdsol:SubjectName", x.subject)
	rec := func() {
		o.s("<AuditRecord><UserRef")
		o.attr("UserOID", x.user)
		o.s("/><LocationRef")
		o.attr("LocationOID", x.site)
		o.s("/><DateTimeStamp>", rwsTime(x.at), "</DateTimeStamp><ReasonForChange>")
		o.text(x.reason)
		o.s("</ReasonForChange><SourceID>")
		o.int(x.id)
		o.s("</SourceID></AuditRecord>")
	}
	if x.subjectCreated {
		o.s(` TransactionType="Insert">`)
		rec()
		o.s("<SiteRef")
		o.attr("LocationOID", x.site)
		o.s("/></SubjectData>\n</ClinicalData>\n")
		return
	}
	o.s("><SiteRef")
	o.attr("LocationOID", x.site)
	o.s("/>")
	o.contextOpen(x.ref, [3]int64{}, false)
	o.s("<ItemData")
	o.attr("ItemOID", x.ref.item)
	o.s(` TransactionType="Upsert"`)
	if x.isNull {
		o.s(` IsNull="Yes"`)
	} else {
		o.attr("Value", x.value)
	}
	o.s(">")
	rec()
	o.s("</ItemData>")
	o.contextClose()
	o.s("</SubjectData>\n</ClinicalData>\n")
}
