package odm

import (
	"fmt"
	"io"
	"unsafe"
)

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
