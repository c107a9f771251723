package odm

import (
	"fmt"
	"unsafe"
)

func (r *Reader) parent() elem {
	if len(r.frames) == 0 {
		return eNone
	}
	return r.frames[len(r.frames)-1]
}

// skipElem skips the current start tag's subtree.
func (r *Reader) skipElem() error {
	if !r.s.selfClose {
		r.skip = r.s.depth()
	}
	return nil
}

// enter pushes e for the current start tag, or runs its end at once when the tag is self-closing.
func (r *Reader) enter(e elem) error {
	if r.s.selfClose {
		return r.closeElem(e)
	}
	r.frames = append(r.frames, e)
	return nil
}

// startElem handles a start tag.
func (r *Reader) startElem() error {
	s := &r.s
	p := r.parent()
	if p == eNone {
		if s.ns != nsODM || s.elem != eODM {
			return r.s.errAtOffset(s.at, fmt.Sprintf("root element <%s> is not ODM (namespace %s)", s.qname, uriODM))
		}
		return r.enter(eODM)
	}
	if s.ns != nsODM {
		return r.skipElem() // mdsol and any other namespace: not ours, subtree and all
	}
	e := s.elem
	switch p {
	case eODM:
		if e == eClinicalData {
			return r.startClinical()
		}
		return r.skipElem()
	case eClinicalData:
		switch e {
		case eSubjectData:
			return r.startSubject()
		case eIgnored:
			return r.skipElem()
		}
	case eSubjectData:
		switch e {
		case eAuditRecord:
			return r.startAudit(&r.subj.level)
		case eSiteRef:
			return r.siteRef()
		case eStudyEventData:
			return r.startContainer(&r.event, &r.subj.level, KindSubject, e)
		case eIgnored:
			return r.skipElem()
		}
	case eStudyEventData:
		switch e {
		case eAuditRecord:
			return r.startAudit(&r.event)
		case eFormData:
			return r.startContainer(&r.form, &r.event, KindEvent, e)
		case eIgnored:
			return r.skipElem()
		}
	case eFormData:
		switch e {
		case eAuditRecord:
			return r.startAudit(&r.form)
		case eItemGroupData:
			return r.startContainer(&r.group, &r.form, KindForm, e)
		case eIgnored:
			return r.skipElem()
		}
	case eItemGroupData:
		switch e {
		case eAuditRecord:
			return r.startAudit(&r.group)
		case eItemData, eItemDataTyped:
			return r.startItem(e)
		case eIgnored:
			return r.skipElem()
		}
	case eItemData:
		switch e {
		case eAuditRecord:
			return r.startAudit(&r.item.level)
		case eIgnored:
			return r.skipElem()
		}
	case eAuditRecord:
		switch e {
		case eUserRef, eLocationRef:
			return r.auditRef(e)
		case eDateTimeStamp, eReasonForChange, eSourceID:
			return r.auditText(e)
		}
	}
	if e == eUnknown {
		return r.blockFail(s.at, fmt.Sprintf("unknown ODM element <%s> in <%s>", s.qname, p))
	}
	return r.blockFail(s.at, fmt.Sprintf("<%s> not allowed in <%s>", s.qname, p))
}

// endElem handles an end tag of an element the reader entered.
func (r *Reader) endElem() error {
	e := r.frames[len(r.frames)-1]
	r.frames = r.frames[:len(r.frames)-1]
	return r.closeElem(e)
}

// closeElem finishes element e (at its end tag, or at once for a self-closing tag).
func (r *Reader) closeElem(e elem) error {
	switch e {
	case eClinicalData:
		r.s.w.keep, r.s.w.alt = -1, -1
	case eSubjectData:
		r.flushPending(&r.subj.level, KindSubject)
		if r.opts.capture {
			r.s.w.keep, r.s.w.alt = -1, -1
		}
	case eStudyEventData:
		r.flushPending(&r.event, KindEvent)
	case eFormData:
		r.flushPending(&r.form, KindForm)
	case eItemGroupData:
		r.flushPending(&r.group, KindItemGroup)
	case eItemData:
		r.enqueue(KindItem)
	case eItemDataTyped:
		r.endCapture()
		r.s.keepText = false
		r.enqueue(KindItem)
	case eAuditRecord:
		return r.endAudit()
	case eDateTimeStamp, eReasonForChange, eSourceID:
		r.endCapture()
		r.s.keepText = false
	}
	return nil
}

// text handles character data outside a skipped subtree.
func (r *Reader) text() error {
	if r.capOn {
		*r.capBuf = append(*r.capBuf, r.s.text...)
		return nil
	}
	if r.s.textWS || isAllSpace(r.s.text) {
		return nil
	}
	switch p := r.parent(); p {
	case eODM:
		return nil
	default:
		return r.blockFail(r.s.at, fmt.Sprintf("unexpected text in <%s>", p))
	}
}

// attr returns the value of the current tag's attribute of that name (in no namespace).
func (r *Reader) attr(name attrCode) ([]byte, bool) {
	attrs := r.s.attrList()
	for i := range attrs {
		a := &attrs[i]
		if a.ns == nsNone && a.code == name {
			return r.s.aval(a), true
		}
	}
	return nil, false
}

func (r *Reader) startClinical() error {
	c := &r.clin
	c.buf = c.buf[:0]
	c.study, c.mdv, c.subcat = "", "", ""
	c.start, c.depth = r.s.at, r.s.depth()
	if r.opts.capture {
		r.s.w.keep, r.s.w.alt = r.s.at, -1
	}
	attrs := r.s.attrList()
	for i := range attrs {
		a := &attrs[i]
		switch {
		case a.ns == nsNone && a.code == aStudyOID:
			c.study = keep(&c.buf, r.s.aval(a))
		case a.ns == nsNone && a.code == aMetaDataVersionOID:
			c.mdv = keep(&c.buf, r.s.aval(a))
		case a.ns == nsMdsol && a.code == aAuditSubCategoryName:
			c.subcat = keep(&c.buf, r.s.aval(a))
		}
	}
	if c.study == "" {
		return r.blockFail(r.s.at, "<ClinicalData> without StudyOID")
	}
	return r.enter(eClinicalData)
}

// resetLevel clears l for a new element starting at the current tag.
func (r *Reader) resetLevel(l *level) {
	// field by field: audit is read only when hasAudit, and startAudit clears it
	l.buf, l.start, l.depth = l.buf[:0], r.s.at, r.s.depth()
	l.oid, l.repeat, l.tt = "", "", ""
	l.hasAudit, l.pending = false, true
}

// containerAttrs reads the OID, repeat key and TransactionType of a container start tag.
func (r *Reader) containerAttrs(l *level, oidName, repeatName attrCode) error {
	attrs := r.s.attrList()
	for i := range attrs {
		a := &attrs[i]
		if a.ns != nsNone {
			continue
		}
		switch a.code {
		case oidName:
			l.oid = keep(&l.buf, r.s.aval(a))
		case repeatName:
			l.repeat = keep(&l.buf, r.s.aval(a))
		case aTransactionType:
			if !validTransactionType(r.s.aval(a)) {
				return r.blockFail(r.s.at, fmt.Sprintf("invalid TransactionType %q", r.s.aval(a)))
			}
			l.tt = keep(&l.buf, r.s.aval(a))
		}
	}
	return nil
}

func (r *Reader) startSubject() error {
	sj := &r.subj
	r.resetLevel(&sj.level)
	sj.name, sj.status, sj.site = "", "", ""
	sj.siteSeen, sj.bodySeen = false, false
	if r.opts.capture {
		r.s.w.keep, r.s.w.alt = r.s.at, -1
	}
	err := r.containerAttrs(&sj.level, aSubjectKey, noAttr)
	if err != nil {
		return err
	}
	attrs := r.s.attrList()
	for i := range attrs {
		a := &attrs[i]
		if a.ns != nsMdsol {
			continue
		}
		switch a.code {
		case aSubjectName:
			sj.name = keep(&sj.buf, r.s.aval(a))
		case aStatus:
			sj.status = keep(&sj.buf, r.s.aval(a))
		}
	}
	if sj.oid == "" {
		return r.blockFail(r.s.at, "<SubjectData> without SubjectKey")
	}
	return r.enter(eSubjectData)
}

func (r *Reader) siteRef() error {
	sj := &r.subj
	switch {
	case sj.siteSeen:
		return r.blockFail(r.s.at, "second <SiteRef> in <SubjectData>")
	case sj.bodySeen:
		return r.blockFail(r.s.at, "<SiteRef> after <StudyEventData>")
	}
	sj.siteSeen = true
	if v, ok := r.attr(aLocationOID); ok {
		sj.site = keep(&sj.buf, v)
	}
	if sj.site == "" {
		return r.blockFail(r.s.at, "<SiteRef> without LocationOID")
	}
	return r.leaf()
}

// leaf accepts an element that must be empty: its content is skipped.
func (r *Reader) leaf() error { return r.skipElem() }

// startContainer starts a StudyEventData, FormData or ItemGroupData l inside parent.
func (r *Reader) startContainer(l, parent *level, parentKind Kind, e elem) error {
	r.flushPending(parent, parentKind)
	if e == eStudyEventData {
		r.subj.bodySeen = true
	}
	r.resetLevel(l)
	if e == eItemGroupData && r.opts.capture && r.opts.level == BlockItemGroup {
		r.s.w.alt = r.s.at
	}
	oid, repeat, oidName := aItemGroupOID, aItemGroupRepeatKey, "ItemGroupOID"
	switch e {
	case eStudyEventData:
		oid, repeat, oidName = aStudyEventOID, aStudyEventRepeatKey, "StudyEventOID"
	case eFormData:
		oid, repeat, oidName = aFormOID, aFormRepeatKey, "FormOID"
	}
	if err := r.containerAttrs(l, oid, repeat); err != nil {
		return err
	}
	if l.oid == "" {
		return r.blockFail(r.s.at, fmt.Sprintf("<%s> without %s", e, oidName))
	}
	return r.enter(e)
}

func (r *Reader) startItem(e elem) error {
	r.flushPending(&r.group, KindItemGroup)
	it := &r.item
	r.resetLevel(&it.level)
	it.value, it.isNull, it.typed = "", false, e == eItemDataTyped
	attrs := r.s.attrList()
	for i := range attrs {
		a := &attrs[i]
		if a.ns != nsNone {
			continue
		}
		v := r.s.aval(a)
		switch a.code {
		case aItemOID:
			it.oid = keep(&it.buf, v)
		case aValue:
			if e == eItemData {
				it.value = keep(&it.buf, v)
			}
		case aIsNull:
			if string(v) != "Yes" {
				return r.blockFail(r.s.at, fmt.Sprintf("IsNull must be \"Yes\", not %q", v))
			}
			it.isNull = true
		case aTransactionType:
			if !validTransactionType(v) {
				return r.blockFail(r.s.at, fmt.Sprintf("invalid TransactionType %q", v))
			}
			it.tt = keep(&it.buf, v)
		}
	}
	switch {
	case it.oid == "":
		return r.blockFail(r.s.at, fmt.Sprintf("<%s> without ItemOID", r.s.qname))
	case it.isNull && it.value != "":
		return r.blockFail(r.s.at, fmt.Sprintf("<%s> ItemOID=%q has IsNull=\"Yes\" and a Value", r.s.qname, it.oid))
	}
	if e == eItemDataTyped {
		if t, ok := r.s.simpleText(); ok {
			it.value = keep(&it.buf, t)
			r.enqueue(KindItem)
			return nil
		}
		r.beginCapture(&it.buf, &it.value)
		r.s.keepText = true
	}
	return r.enter(e)
}

func (r *Reader) beginCapture(buf *[]byte, dst *string) {
	r.capOn, r.capBuf, r.capFrom, r.capDst = true, buf, len(*buf), dst
}

func (r *Reader) endCapture() {
	if !r.capOn {
		return
	}
	r.capOn = false
	b := *r.capBuf
	if n := len(b) - r.capFrom; n > 0 {
		*r.capDst = unsafe.String(&b[r.capFrom], n)
	} else {
		*r.capDst = ""
	}
}
