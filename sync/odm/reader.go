package odm

import (
	"errors"
	"fmt"
	"io"
	"unsafe"
)

// BlockLevel is the unit a structure problem takes out: see CaptureFragments and BlockError.
type BlockLevel uint8

const (
	// BlockSubject makes the enclosing SubjectData the unit of a BlockError (the default).
	BlockSubject BlockLevel = iota
	// BlockItemGroup makes the enclosing ItemGroupData the unit when the problem lies inside one, so that
	// one bad value does not take a whole subject's export with it. Problems outside any ItemGroupData
	// still take the SubjectData.
	BlockItemGroup
)

// Option configures a Reader.
type Option func(*options)

type options struct {
	window   int
	maxToken int
	maxFrag  int
	capture  bool
	level    BlockLevel
}

// CaptureFragments makes every *BlockError carry the raw bytes of its block (BlockError.Fragment), so
// that the caller can quarantine exactly that fragment. The Reader then holds the current block in its
// buffer (up to MaxFragmentSize), and level chooses the block.
func CaptureFragments(level BlockLevel) Option {
	return func(o *options) { o.capture, o.level = true, level }
}

// MaxFragmentSize bounds the bytes held for fragment capture (default 8 MiB). A block larger than this
// is still reported, with its byte range, but without its Fragment.
func MaxFragmentSize(n int) Option { return func(o *options) { o.maxFrag = n } }

// MaxTokenSize bounds one tag, text run, comment or CDATA section (default 16 MiB); a longer one is a
// *SyntaxError. With the buffer, it bounds the Reader's memory whatever the input.
func MaxTokenSize(n int) Option { return func(o *options) { o.maxToken = n } }

// BufferSize sets the size of the sliding window (default 256 KiB).
func BufferSize(n int) Option { return func(o *options) { o.window = n } }

// Reader streams rows out of an ODM 1.3 document. It is not safe for concurrent use.
type Reader struct {
	src     io.Reader
	opts    options
	s       scanner
	started bool
	err     error // sticky: a *SyntaxError, a read error or io.EOF

	frames []elem // the reader's view of the open elements it entered
	skip   int    // > 0: skipping a subtree until the depth drops below skip

	queue [4]Kind
	qi    int
	qn    int

	row      Row
	rowAudit Audit

	clin  clinLevel
	subj  subjLevel
	event level
	form  level
	group level
	item  itemLevel

	ar      arState
	capOn   bool
	capBuf  *[]byte
	capFrom int
	capDst  *string

	bad *BlockError // a block being skipped because of this problem
}

type clinLevel struct {
	buf    []byte
	start  int64
	depth  int
	study  string
	mdv    string
	subcat string
}

// level is a container's state; its strings point into buf, which is reused when the next container of
// the same level starts.
type level struct {
	buf      []byte
	start    int64
	depth    int
	oid      string
	repeat   string
	tt       string
	audit    Audit
	hasAudit bool
	pending  bool // its container row (if it qualifies) has not been queued yet
}

type subjLevel struct {
	level
	name, status, site string
	siteSeen, bodySeen bool
}

type itemLevel struct {
	level
	value  string
	isNull bool
	typed  bool
}

// arState is the AuditRecord being read.
type arState struct {
	owner *level
	seen  [eSourceID + 1]bool
}

// NewReader returns a Reader of the ODM document r. It reads nothing until the first call to Next.
func NewReader(r io.Reader, opts ...Option) *Reader {
	rd := &Reader{}
	for _, o := range opts {
		o(&rd.opts)
	}
	rd.Reset(r)
	return rd
}

// Reset makes the Reader read a new document from r, keeping its options and its buffers.
func (r *Reader) Reset(src io.Reader) {
	r.src = src
	r.started = false
	r.err = nil
	r.frames = r.frames[:0]
	r.skip = 0
	r.qi, r.qn = 0, 0
	r.capOn = false
	r.bad = nil
	r.ar = arState{}
	r.clin = clinLevel{buf: r.clin.buf[:0]}
	r.subj = subjLevel{level: level{buf: r.subj.buf[:0]}}
	r.event = level{buf: r.event.buf[:0]}
	r.form = level{buf: r.form.buf[:0]}
	r.group = level{buf: r.group.buf[:0]}
	r.item = itemLevel{level: level{buf: r.item.buf[:0]}}
}

func (r *Reader) begin() error {
	in, err := sniff(r.src)
	if err != nil {
		return err
	}
	size := r.opts.window
	if size <= 0 {
		size = defaultWindow
	}
	r.s.reset(in.src, size)
	if r.opts.maxToken > 0 {
		r.s.w.maxToken = r.opts.maxToken
	}
	if r.opts.maxFrag > 0 {
		r.s.w.maxKeep = r.opts.maxFrag
	}
	r.s.w.rejectFFFD = in.legacy
	r.s.w.asciiOnly = in.asciiOnly
	if in.bom > 0 {
		// Skip the mark but keep offsets those of the file.
		if _, err := io.ReadFull(in.src, make([]byte, in.bom)); err != nil {
			return fmt.Errorf("reading ODM input: %w", err)
		}
		r.s.w.base = int64(in.bom)
		r.s.docStart = int64(in.bom)
	}
	return nil
}

// Next returns the next row, io.EOF after the last one, a *BlockError (after which Next may be called
// again) or any other error (after which it returns the same error). The row and everything it points
// to are valid until the next call to Next.
func (r *Reader) Next() (*Row, error) {
	if r.err != nil {
		return nil, r.err
	}
	if !r.started {
		r.started = true
		if err := r.begin(); err != nil {
			r.err = err
			return nil, err
		}
	}
	if r.qi < r.qn {
		k := r.queue[r.qi]
		r.qi++
		return r.build(k), nil
	}
	r.qi, r.qn = 0, 0
	s := &r.s
	for {
		if err := s.next(); err != nil {
			r.err = err
			return nil, err
		}
		if r.skip > 0 {
			if s.kind == tokEnd && s.depth() < r.skip {
				r.skip = 0
				if r.bad != nil {
					return nil, r.finishBlock()
				}
			}
			continue
		}
		var err error
		switch s.kind {
		case tokStart:
			err = r.startElem()
		case tokEnd:
			err = r.endElem()
		case tokText:
			err = r.text()
		case tokEOF:
			r.err = io.EOF
			return nil, io.EOF
		}
		if err != nil {
			r.qi, r.qn = 0, 0
			if err == errBlockPending {
				continue // skipping the bad block; its *BlockError comes at its end
			}
			if _, ok := err.(*BlockError); !ok {
				r.err = err
			}
			return nil, err
		}
		if r.qn > 0 {
			k := r.queue[0]
			r.qi = 1
			return r.build(k), nil
		}
	}
}

// enqueue schedules a row; Next hands rows out in the order they were queued.
func (r *Reader) enqueue(k Kind) {
	if r.qi == r.qn {
		r.qi, r.qn = 0, 0
	}
	r.queue[r.qn] = k
	r.qn++
}

// flushPending queues the container row of l if it qualifies and has not been queued.
func (r *Reader) flushPending(l *level, k Kind) {
	if l.pending {
		l.pending = false
		if l.hasAudit || l.tt != "" {
			r.enqueue(k)
		}
	}
}

// build fills the reused Row for a row of kind k from the current context.
func (r *Reader) build(k Kind) *Row {
	row := &r.row
	*row = Row{Kind: k, Study: r.clin.study, MetaDataVersion: r.clin.mdv, Subject: r.subj.oid,
		SubjectName: r.subj.name, SubjectStatus: r.subj.status, Site: r.subj.site}
	var l *level
	switch k {
	case KindSubject:
		l = &r.subj.level
	case KindEvent:
		l = &r.event
	case KindForm:
		l = &r.form
	case KindItemGroup:
		l = &r.group
	default:
		l = &r.item.level
		row.Item, row.Value, row.IsNull = r.item.oid, r.item.value, r.item.isNull
	}
	if k >= KindEvent || k == KindItem {
		row.Event, row.EventRepeat = r.event.oid, r.event.repeat
	}
	if k >= KindForm || k == KindItem {
		row.Form, row.FormRepeat = r.form.oid, r.form.repeat
	}
	if k >= KindItemGroup || k == KindItem {
		row.ItemGroup, row.ItemGroupRepeat = r.group.oid, r.group.repeat
	}
	row.TransactionType = l.tt
	row.Offset = l.start
	if l.hasAudit {
		r.rowAudit = l.audit
		r.rowAudit.SubCategory = r.clin.subcat
		row.Audit = &r.rowAudit
	}
	return row
}

// keep copies b into the arena buf and returns it as a string that lives as long as the arena's
// current contents: until the level restarts, which is after the row has been handed out.
func keep(buf *[]byte, b []byte) string {
	if len(b) == 0 {
		return ""
	}
	n := len(*buf)
	*buf = append(*buf, b...)
	return unsafe.String(&(*buf)[n], len(b))
}

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
		if s.ns != nsODM || string(s.local) != "ODM" {
			return r.s.errAtOffset(s.at, fmt.Sprintf("root element <%s> is not ODM (namespace %s)", s.qname, uriODM))
		}
		return r.enter(eODM)
	}
	if s.ns != nsODM {
		return r.skipElem() // mdsol and any other namespace: not ours, subtree and all
	}
	e := odmElem(s.local)
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

// attr returns the value of the current tag's attribute name (in no namespace).
func (r *Reader) attr(name string) ([]byte, bool) {
	attrs := r.s.attrList()
	for i := range attrs {
		a := &attrs[i]
		if a.ns == nsNone && string(r.s.alocal(a)) == name {
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
		case a.ns == nsNone && string(r.s.alocal(a)) == "StudyOID":
			c.study = keep(&c.buf, r.s.aval(a))
		case a.ns == nsNone && string(r.s.alocal(a)) == "MetaDataVersionOID":
			c.mdv = keep(&c.buf, r.s.aval(a))
		case a.ns == nsMdsol && string(r.s.alocal(a)) == "AuditSubCategoryName":
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
	*l = level{buf: l.buf[:0], start: r.s.at, depth: r.s.depth(), pending: true}
}

// containerAttrs reads the OID, repeat key and TransactionType of a container start tag.
func (r *Reader) containerAttrs(l *level, oidName, repeatName string) error {
	attrs := r.s.attrList()
	for i := range attrs {
		a := &attrs[i]
		if a.ns != nsNone {
			continue
		}
		switch string(r.s.alocal(a)) {
		case oidName:
			l.oid = keep(&l.buf, r.s.aval(a))
		case repeatName:
			l.repeat = keep(&l.buf, r.s.aval(a))
		case "TransactionType":
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
	err := r.containerAttrs(&sj.level, "SubjectKey", "")
	if err != nil {
		return err
	}
	attrs := r.s.attrList()
	for i := range attrs {
		a := &attrs[i]
		if a.ns != nsMdsol {
			continue
		}
		switch string(r.s.alocal(a)) {
		case "SubjectName":
			sj.name = keep(&sj.buf, r.s.aval(a))
		case "Status":
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
	if v, ok := r.attr("LocationOID"); ok {
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
	var names [2]string
	switch e {
	case eStudyEventData:
		names = [2]string{"StudyEventOID", "StudyEventRepeatKey"}
	case eFormData:
		names = [2]string{"FormOID", "FormRepeatKey"}
	default:
		names = [2]string{"ItemGroupOID", "ItemGroupRepeatKey"}
	}
	if err := r.containerAttrs(l, names[0], names[1]); err != nil {
		return err
	}
	if l.oid == "" {
		return r.blockFail(r.s.at, fmt.Sprintf("<%s> without %s", e, names[0]))
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
		switch string(r.s.alocal(a)) {
		case "ItemOID":
			it.oid = keep(&it.buf, v)
		case "Value":
			if e == eItemData {
				it.value = keep(&it.buf, v)
			}
		case "IsNull":
			if string(v) != "Yes" {
				return r.blockFail(r.s.at, fmt.Sprintf("IsNull must be \"Yes\", not %q", v))
			}
			it.isNull = true
		case "TransactionType":
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
	want, dst := "UserOID", &o.audit.User
	if e == eLocationRef {
		want, dst = "LocationOID", &o.audit.Location
	}
	if v, ok := r.attr(want); ok {
		*dst = keep(&o.buf, v)
	}
	if *dst == "" {
		return r.blockFail(r.s.at, fmt.Sprintf("<%s> without %s", e, want))
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

// blockFail reports an ODM structure problem at input offset at: the innermost enclosing block is
// skipped to its end and reported as a *BlockError. Outside any ClinicalData it is a plain *SyntaxError.
func (r *Reader) blockFail(at int64, msg string) error {
	se := r.s.errAtOffset(at, msg)
	be := &BlockError{Err: se}
	var depth int
	switch {
	case r.opts.level == BlockItemGroup && r.inside(eItemGroupData, r.group.depth):
		be.Block, be.Start, depth = "ItemGroupData", r.group.start, r.group.depth
	case r.inside(eSubjectData, r.subj.depth):
		be.Block, be.Start, depth = "SubjectData", r.subj.start, r.subj.depth
	case r.inside(eClinicalData, r.clin.depth):
		be.Block, be.Start, depth = "ClinicalData", r.clin.start, r.clin.depth
	default:
		return se
	}
	r.capOn = false
	r.s.keepText = false
	r.ar.owner = nil
	r.bad = be
	if depth == r.s.depth() && r.s.selfClose {
		// the block is this very tag, already complete
		r.skip = 0
		return r.finishBlock()
	}
	r.skip = depth
	return errBlockPending
}

// errBlockPending tells Next that a bad block is being skipped and its *BlockError comes at its end.
var errBlockPending = errors.New("odm: internal: block error pending")

// inside reports whether the element of code e at depth d is open (or is the current start tag).
func (r *Reader) inside(e elem, d int) bool {
	if d <= 0 || d > r.s.depth() {
		return false
	}
	if d <= len(r.frames) {
		return r.frames[d-1] == e
	}
	// the current start tag, not yet entered
	return d == r.s.depth() && odmElem(r.s.local) == e && r.s.ns == nsODM
}

// finishBlock completes the *BlockError of a block whose end has just been read.
func (r *Reader) finishBlock() error {
	be := r.bad
	r.bad = nil
	w := &r.s.w
	be.End = r.s.offset()
	if r.opts.capture && w.keep >= 0 && w.keep <= be.Start && be.Start >= w.base {
		be.Fragment = w.buf[be.Start-w.base : be.End-w.base]
	}
	depth := r.s.depth()
	if len(r.frames) > depth {
		r.frames = r.frames[:depth]
	}
	switch be.Block {
	case "SubjectData", "ClinicalData":
		r.s.w.keep, r.s.w.alt = -1, -1
		r.subj.pending, r.event.pending, r.form.pending, r.group.pending = false, false, false, false
		if be.Block == "ClinicalData" {
			r.clin.study = ""
		}
	case "ItemGroupData":
		r.group.pending = false
	}
	return be
}
