package odm

import "fmt"

// arState is the AuditRecord being read.
type arState struct {
	owner *level
	seen  [eSourceID + 1]bool
}

func (r *Reader) startAudit(owner *level) error {
	if owner.hasAudit {
		return r.blockFail(r.s.at, "second <AuditRecord> on one element")
	}
	if owner != &r.item.level && !owner.pending {
		return r.blockFail(r.s.at, "<AuditRecord> after the element's children")
	}
	r.ar = arState{owner: owner}
	owner.audit = Audit{}
	return r.enter(eAuditRecord)
}

func (r *Reader) auditRef(e elem) error {
	if r.ar.seen[e] {
		return r.blockFail(r.s.at, fmt.Sprintf("second <%s> in <AuditRecord>", e))
	}
	r.ar.seen[e] = true
	o := r.ar.owner
	want, wantName, dst := aUserOID, "UserOID", &o.audit.User
	if e == eLocationRef {
		want, wantName, dst = aLocationOID, "LocationOID", &o.audit.Location
	}
	if v, ok := r.attr(want); ok {
		*dst = keep(&o.buf, v)
	}
	if *dst == "" {
		return r.blockFail(r.s.at, fmt.Sprintf("<%s> without %s", e, wantName))
	}
	return r.leaf()
}

func (r *Reader) auditText(e elem) error {
	if r.ar.seen[e] {
		return r.blockFail(r.s.at, fmt.Sprintf("second <%s> in <AuditRecord>", e))
	}
	r.ar.seen[e] = true
	o := r.ar.owner
	dst := &o.audit.Time
	switch e {
	case eReasonForChange:
		dst = &o.audit.Reason
	case eSourceID:
		dst = &o.audit.SourceID
	}
	if r.s.selfClose {
		*dst = ""
		return nil
	}
	if t, ok := r.s.simpleText(); ok {
		*dst = keep(&o.buf, t)
		return nil
	}
	r.beginCapture(&o.buf, dst)
	r.s.keepText = true
	r.frames = append(r.frames, e)
	return nil
}

func (r *Reader) endAudit() error {
	a := &r.ar
	for _, e := range [...]elem{eUserRef, eLocationRef, eDateTimeStamp} {
		if !a.seen[e] {
			return r.blockFail(r.s.at, fmt.Sprintf("<AuditRecord> without <%s>", e))
		}
	}
	a.owner.hasAudit = true
	a.owner = nil
	return nil
}
