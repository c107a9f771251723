package rws

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// maxPostBytes is RWS's limit on a PostODMClinicalData body.
const maxPostBytes = 1_000_000

// The posted document, as much of ODM 1.3 transactional ClinicalData as Rave applies.
type postDoc struct {
	XMLName  xml.Name    `xml:"ODM"`
	FileOID  string      `xml:"FileOID,attr"`
	Clinical []postStudy `xml:"ClinicalData"`
}

type postStudy struct {
	StudyOID string        `xml:"StudyOID,attr"`
	Subjects []postSubject `xml:"SubjectData"`
}

type postSubject struct {
	Key     string `xml:"SubjectKey,attr"`
	KeyType string `xml:"http://www.mdsol.com/ns/odm/metadata SubjectKeyType,attr"`
	TxType  string `xml:"TransactionType,attr"`
	SiteRef *struct {
		LocationOID string `xml:"LocationOID,attr"`
	} `xml:"SiteRef"`
	Events []postEvent `xml:"StudyEventData"`
}

type postEvent struct {
	OID    string     `xml:"StudyEventOID,attr"`
	Repeat string     `xml:"StudyEventRepeatKey,attr"`
	Forms  []postForm `xml:"FormData"`
}

type postForm struct {
	OID    string      `xml:"FormOID,attr"`
	Repeat string      `xml:"FormRepeatKey,attr"`
	Groups []postGroup `xml:"ItemGroupData"`
}

type postGroup struct {
	OID    string     `xml:"ItemGroupOID,attr"`
	Repeat string     `xml:"ItemGroupRepeatKey,attr"`
	Items  []postItem `xml:"ItemData"`
}

type postItem struct {
	OID    string `xml:"ItemOID,attr"`
	Value  string `xml:"Value,attr"`
	IsNull string `xml:"IsNull,attr"`
	TxType string `xml:"TransactionType,attr"`
	Reason string `xml:"AuditRecord>ReasonForChange"`
}

// change is one validated item change, applied only once the whole document validated.
type change struct {
	subject, uuid, site string
	ref                 itemRef
	value               string
	isNull              bool
	reason              string
	context             bool // the context item of a new log line: written, not counted as a field
}

// handlePost is webservice.aspx?PostODMClinicalData: the whole document is validated first and
// applied all-or-nothing, answering as RWS does.
func (s *Server) handlePost(w http.ResponseWriter, r *http.Request) {
	s.count("post")
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPostBytes+1))
	if err != nil {
		return
	}
	if len(body) > maxPostBytes {
		iisError(w, http.StatusRequestEntityTooLarge)
		return
	}
	var doc postDoc
	if err := xml.Unmarshal(bytes.TrimPrefix(body, []byte("\uFEFF")), &doc); err != nil || doc.XMLName.Space != odmNS {
		msg := "Request is not a well-formed ODM 1.3 document."
		if err != nil {
			msg = "Request is not a well-formed ODM 1.3 document: " + err.Error()
		}
		rwsError(w, http.StatusBadRequest, rwsErr{code: "RWS00092", msg: msg, origin: "/ODM", post: true})
		return
	}
	s.mu.Lock()
	changes, inserts, perr := s.validatePost(doc)
	if perr == nil && s.txFail.hitLocked() {
		s.mu.Unlock()
		s.count("txfail")
		s.txFail.answer(w, doc)
		return
	}
	var stats postStats
	var inStudy, inSite int
	if perr == nil {
		stats = s.applyPost(changes, inserts)
		site := ""
		switch {
		case len(inserts) > 0:
			site = inserts[0].site
		case len(changes) > 0:
			site = changes[0].site
		}
		inStudy, inSite = s.subjectCounts(site)
	}
	s.mu.Unlock() // before answering: a stalled or trickled answer must not hold the lock
	if perr != nil {
		perr.fileOID, perr.post = doc.FileOID, true
		rwsError(w, perr.status, perr.rwsErr)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	fmt.Fprintf(w, `<Response ReferenceNumber="%s" InboundODMFileOID="%s" IsTransactionSuccessful="1" SuccessStatistics="Rave objects touched: Subjects=%d; Folders=%d; Forms=%d; Fields=%d; LogLines=%d" NewRecords="" SubjectNumberInStudy="%d" SubjectNumberInStudySite="%d">
</Response>`, newUUID(), xmlAttr(doc.FileOID), stats.subjects, 0, stats.forms, stats.fields, stats.logLines, inStudy, inSite)
}

type postError struct {
	status int
	rwsErr
}

func perr(status int, code, msg, origin string) *postError {
	return &postError{status: status, rwsErr: rwsErr{code: code, msg: msg, origin: origin}}
}

// validatePost checks every element against the study; s.mu is held.
func (s *Server) validatePost(doc postDoc) ([]change, []newSubject, *postError) {
	var changes []change
	var inserts []newSubject
	project, env := splitStudy(s.opts.Study)
	var lines contextLines
	for ci, cd := range doc.Clinical {
		cpath := fmt.Sprintf("/ODM/ClinicalData[%d]", ci+1)
		if !equalFoldOID(cd.StudyOID, s.opts.Study) && !(strings.EqualFold(env, "Prod") && equalFoldOID(cd.StudyOID, project)) {
			return nil, nil, perr(http.StatusNotFound, "RWS00014", "Study "+cd.StudyOID+" not found.", cpath)
		}
		for si, sd := range cd.Subjects {
			spath := fmt.Sprintf("%s/SubjectData[%d]", cpath, si+1)
			name, uuid, site, exists := s.findSubject(sd.Key, sd.KeyType == "SubjectUUID")
			for _, ins := range inserts {
				if ins.name == sd.Key {
					name, uuid, site, exists = ins.name, ins.uuid, ins.site, true
				}
			}
			if strings.EqualFold(sd.TxType, "Insert") {
				if exists {
					return nil, nil, perr(http.StatusConflict, "RWS00024", "Subject already exists.", spath)
				}
				if sd.SiteRef == nil || !slices.Contains(s.opts.Sites, sd.SiteRef.LocationOID) {
					return nil, nil, perr(http.StatusNotFound, "RWS00017", "Site not found.", spath+"/SiteRef")
				}
				ns := newSubject{name: sd.Key, uuid: newUUID(), site: sd.SiteRef.LocationOID, created: time.Now()}
				inserts = append(inserts, ns)
				name, uuid, site = ns.name, ns.uuid, ns.site
			} else if !exists {
				return nil, nil, perr(http.StatusNotFound, "RWS00023", "Subject "+sd.Key+" not found.", spath)
			}
			for ei, ev := range sd.Events {
				epath := fmt.Sprintf("%s/StudyEventData[%d]", spath, ei+1)
				if ev.OID == "" {
					return nil, nil, perr(http.StatusBadRequest, "RWS00037", "StudyEventOID is missing.", epath)
				}
				for fi, fd := range ev.Forms {
					fpath := fmt.Sprintf("%s/FormData[%d]", epath, fi+1)
					items, builtin := builtinForms[fd.OID]
					if !builtin && !slices.Contains(s.opts.ExtraForms, fd.OID) {
						return nil, nil, perr(http.StatusNotFound, "RWS00037", "Form "+fd.OID+" not found in folder "+ev.OID+".", fpath)
					}
					if e := s.armFormRefusal(name, fd.OID, fpath); e != nil {
						return nil, nil, e
					}
					for gi, gd := range fd.Groups {
						gpath := fmt.Sprintf("%s/ItemGroupData[%d]", fpath, gi+1)
						group := gd.OID
						if group == "" {
							group = fd.OID
						}
						repeat, ctx, newLine := gd.Repeat, -1, false
						if strings.EqualFold(gd.Repeat, contextKey) {
							for ii, it := range gd.Items {
								if strings.EqualFold(it.TxType, "Context") {
									if ctx >= 0 {
										return nil, nil, perr(http.StatusBadRequest, "RWS00037", "More than one context item in a log line.", fmt.Sprintf("%s/ItemData[%d]", gpath, ii+1))
									}
									ctx = ii
								}
							}
							if ctx < 0 || gd.Items[ctx].Value == "" {
								return nil, nil, perr(http.StatusBadRequest, "RWS00037", "A log line posted with ItemGroupRepeatKey @CONTEXT needs one context item with a value.", gpath)
							}
							repeat, newLine = s.resolveLocked(&lines, lineBase{name, ev.OID, ev.Repeat, fd.OID, orOne(fd.Repeat), group}, gd.Items[ctx].OID, gd.Items[ctx].Value)
						}
						for ii, it := range gd.Items {
							ipath := fmt.Sprintf("%s/ItemData[%d]", gpath, ii+1)
							if it.OID == "" || builtin && !slices.Contains(items, it.OID) {
								return nil, nil, perr(http.StatusNotFound, "RWS00037", "Field "+it.OID+" not found on form "+fd.OID+".", ipath)
							}
							if ii == ctx && !newLine {
								continue // the found line's context, as it was
							}
							changes = append(changes, change{
								subject: name, uuid: uuid, site: site,
								ref:   itemRef{ev.OID, ev.Repeat, fd.OID, orOne(fd.Repeat), group, repeat, it.OID},
								value: it.Value, isNull: strings.EqualFold(it.IsNull, "Yes") || strings.EqualFold(it.TxType, "Remove"),
								reason: it.Reason, context: ii == ctx,
							})
						}
					}
				}
			}
		}
	}
	return changes, inserts, nil
}

// findSubject resolves a SubjectKey (a name, or a UUID when uuidKey); s.mu is held.
func (s *Server) findSubject(key string, uuidKey bool) (name, uuid, site string, ok bool) {
	st := s.study
	var i int
	if uuidKey {
		i, ok = st.byUUID[key]
	} else {
		i, ok = st.byName[key]
	}
	if ok && st.recordIndex(i, 0) < s.visible {
		return st.subjectName(i), st.subjectUUID(i), st.subjectSite(i), true
	}
	for _, ns := range s.state.newSubjects {
		if (!uuidKey && ns.name == key) || (uuidKey && ns.uuid == key) {
			return ns.name, ns.uuid, ns.site, true
		}
	}
	return "", "", "", false
}

type postStats struct{ subjects, forms, fields, logLines int }

// applyPost applies validated changes and writes their audit records; s.mu is held.
func (s *Server) applyPost(changes []change, inserts []newSubject) postStats {
	var stats postStats
	now := time.Now().UTC()
	if s.state.nextID == 0 {
		s.state.nextID = s.study.layout.last() + 1 + 500
	}
	nextID := func() int64 { id := s.state.nextID; s.state.nextID++; return id }
	for _, ns := range inserts {
		s.state.newSubjects = append(s.state.newSubjects, ns)
		s.state.extras = append(s.state.extras, auditExtra{id: nextID(), subject: ns.name, uuid: ns.uuid, site: ns.site,
			subjectCreated: true, user: s.opts.User, subcat: "SubjectCreated", at: now})
		stats.subjects++
	}
	newForms, newLines := map[string]bool{}, map[string]bool{}
	lineKey := func(c change) string {
		return c.subject + "\x00" + c.ref.event + "\x00" + c.ref.eventRepeat + "\x00" + c.ref.form + "\x00" + c.ref.formRepeat + "\x00" + c.ref.group + "\x00" + c.ref.groupRepeat
	}
	lineExisted := map[string]bool{}
	for _, c := range changes {
		if c.ref.groupRepeat != "" {
			if _, seen := lineExisted[lineKey(c)]; !seen {
				lineExisted[lineKey(c)] = s.lineHasDataLocked(c.subject, c.ref)
			}
		}
	}
	for _, c := range changes {
		key := c.ref.key()
		old, had := s.currentLocked(c.subject, c.ref)
		if had && old.value == c.value && old.isNull == c.isNull {
			continue // Rave touches nothing when the value is unchanged
		}
		if !had && c.value == "" && !c.isNull {
			continue // nor when an empty field is entered empty
		}
		if s.state.values[c.subject] == nil {
			s.state.values[c.subject] = map[string]postedValue{}
		}
		subcat := "Entered"
		if had {
			subcat = "EnteredWithChangeCode"
		}
		id := nextID()
		s.state.values[c.subject][key] = postedValue{ref: c.ref, value: c.value, isNull: c.isNull, at: now, id: id}
		s.state.extras = append(s.state.extras, auditExtra{id: id, subject: c.subject, uuid: c.uuid, site: c.site, ref: c.ref,
			value: c.value, isNull: c.isNull, user: s.opts.User, reason: c.reason, subcat: subcat, at: now})
		if !c.context {
			stats.fields++
		}
		if !had {
			formKey := c.subject + "\x00" + c.ref.event + "\x00" + c.ref.eventRepeat + "\x00" + c.ref.form + "\x00" + c.ref.formRepeat
			if !s.formHasDataLocked(c.subject, c.ref) && !newForms[formKey] {
				newForms[formKey] = true
				stats.forms++
			}
			if lk := lineKey(c); c.ref.groupRepeat != "" && !lineExisted[lk] && !newLines[lk] {
				newLines[lk] = true
				stats.logLines++
			}
		}
	}
	return stats
}

// currentLocked is the value an item has now, seeded or posted; s.mu is held.
func (s *Server) currentLocked(subject string, ref itemRef) (postedValue, bool) {
	if pv, ok := s.state.values[subject][ref.key()]; ok {
		return pv, true
	}
	si, ok := s.study.byName[subject]
	if !ok {
		return postedValue{}, false
	}
	j, ok := s.study.itemIdx[ref.key()]
	if !ok {
		return postedValue{}, false
	}
	cur, ok := s.study.currentEntry(si, j, s.visible)
	if !ok {
		return postedValue{}, false
	}
	return postedValue{value: s.study.value(si, cur)}, true
}

// formHasDataLocked reports whether the form instance of ref already holds any value; s.mu is held.
func (s *Server) formHasDataLocked(subject string, ref itemRef) bool {
	for _, pv := range s.state.values[subject] {
		if pv.ref.event == ref.event && pv.ref.eventRepeat == ref.eventRepeat && pv.ref.form == ref.form && pv.ref.formRepeat == ref.formRepeat && pv.ref.item != ref.item {
			return true
		}
	}
	if si, ok := s.study.byName[subject]; ok {
		for j, e := range s.study.template {
			if e.kind == entryEntered && e.item.event == ref.event && e.item.eventRepeat == ref.eventRepeat && e.item.form == ref.form && e.item.formRepeat == ref.formRepeat {
				if _, ok := s.study.currentEntry(si, j, s.visible); ok {
					return true
				}
			}
		}
	}
	return false
}

// subjectCounts returns the number of subjects in the study and at site; s.mu is held.
func (s *Server) subjectCounts(site string) (inStudy, inSite int) {
	st := s.study
	for i := range st.subjects() {
		if st.recordIndex(i, 0) < s.visible {
			inStudy++
			if st.subjectSite(i) == site {
				inSite++
			}
		}
	}
	for _, ns := range s.state.newSubjects {
		inStudy++
		if ns.site == site {
			inSite++
		}
	}
	return inStudy, inSite
}
