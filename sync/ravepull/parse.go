package ravepull

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/odm"
)

// batch is what the parser hands the committer: encoded rows and quarantined fragments, plus, on the
// last batch of a body, the body's SHA-256.
type batch struct {
	rows        store.ClinicalBatch
	quarantined []store.Quarantined
	read        int // item rows read into this batch (kept or not)
	last        bool
	pageHash    string
	err         error // the body could not be read to its end: nothing of it may be committed as complete
}

// batches recycles the batches of one pull: a batch goes back once its rows are committed, and the
// parser fills it again, so that a feed's pages or a dataset's batches reuse the same few arenas
// instead of allocating (and the collector clearing) megabytes per batch.
type batches chan *batch

func newBatches() batches { return make(batches, 4) }

// get returns a recycled batch, or a new one.
func (bs batches) get() *batch {
	select {
	case b := <-bs:
		return b
	default:
		return &batch{}
	}
}

// put recycles a batch whose rows are committed (their transactions have ended); extra ones are let go.
func (bs batches) put(b *batch) {
	b.rows.Recycle()
	*b = batch{rows: b.rows, quarantined: b.quarantined[:0]}
	select {
	case bs <- b:
	default:
	}
}

// parser turns one RWS answer into batches. A batch is handed over only when the next subject starts
// (or the answer ends), so a block reported bad after its rows were added can still be dropped, and a
// dataset splits only at subject boundaries.
type parser struct {
	study    Study
	feed     string
	source   string // for quarantine entries: study, feed and request (set by Engine.stream)
	runID    string
	subjects *subjectIndex
	batches  batches // where new batches come from
	split    int     // emit a batch once it holds this many rows at a subject boundary; 0: one batch
	expect   [2]int  // rows and bytes expected in the answer (the previous page's), to size the batch once

	cur          *batch
	offsets      []int64 // byte offset of every row in cur.rows, in order
	subject      []byte  // the current subject (a copy: row strings point into the reader's buffer)
	subjectKnown bool    // whether subject is in the study's listing
	unknown      map[string]*unknownSubject
	unknownOK    map[string]bool
}

// unknownSubject collects rows of a subject absent from the listing, for one quarantine entry.
type unknownSubject struct {
	site string
	xml  strings.Builder
	n    int
}

// run reads body to its end, sending batches on out; it closes out when done.
func (p *parser) run(ctx context.Context, body *readAhead, out chan<- *batch) {
	defer close(out)
	rd := odm.NewReader(body, odm.CaptureFragments(odm.BlockSubject))
	p.cur = p.batches.get()
	p.cur.rows.Reserve(p.expect[0], p.expect[1])
	p.unknown = map[string]*unknownSubject{}
	p.unknownOK = map[string]bool{}
	sites := map[string]bool{}
	for _, s := range p.study.Sites {
		sites[s] = true
	}
	send := func(b *batch) bool {
		if ctx.Err() != nil {
			return false
		}
		if p.feed == FeedDataset {
			// Here, so that the committer's goroutine, the busier one for a dataset, only writes.
			// An audit group's pages are sorted by the committer, which only appends them to the
			// staged runs and has time to spare.
			b.rows.Sort()
		}
		select {
		case out <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		row, err := rd.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			if be := (*odm.BlockError)(nil); errors.As(err, &be) {
				p.dropBlock(be)
				continue
			}
			send(&batch{err: err})
			return
		}
		if row.Kind != odm.KindItem {
			continue
		}
		if len(sites) > 0 && !sites[row.Site] {
			continue
		}
		subject := row.Subject
		if row.SubjectName != "" {
			subject = row.SubjectName
		}
		if subject != string(p.subject) {
			p.subject = append(p.subject[:0], subject...) // row strings point into the reader's buffer
			if p.split > 0 && p.cur.rows.Len() >= p.split {
				if !send(p.cur) {
					return
				}
				p.cur = p.batches.get()
				p.cur.rows.Grow(p.split + p.split/4)
				p.offsets = p.offsets[:0]
			}
			if p.subjectKnown, err = p.known(ctx, row, subject); err != nil {
				send(&batch{err: fmt.Errorf("refreshing the subject listing: %w", err)})
				return
			}
		}
		p.cur.read++
		if !p.subjectKnown {
			p.holdUnknown(row, subject)
			continue
		}
		k := store.ClinicalKey{Study: row.Study, Site: row.Site, Subject: subject, Event: row.Event, EventRepeat: row.EventRepeat,
			Form: row.Form, FormRepeat: row.FormRepeat, ItemGroup: row.ItemGroup, ItemGroupRepeat: row.ItemGroupRepeat, Item: row.Item}
		v := store.ClinicalValue{Value: row.Value, IsNull: row.IsNull, Source: p.feed, RunID: p.runID}
		if a := row.Audit; a != nil {
			v.AuditID, v.User, v.Time, v.Reason = a.SourceID, a.User, a.Time, a.Reason
		}
		p.cur.rows.Add(&k, &v)
		p.offsets = append(p.offsets, row.Offset)
	}
	p.flushUnknown()
	p.cur.last = true
	// The page's hash covers every byte of the answer: read what may follow the document's end.
	if _, err := io.Copy(io.Discard, body); err != nil {
		send(&batch{err: err})
		return
	}
	p.cur.pageHash = hex.EncodeToString(body.Sum())
	send(p.cur)
}

// dropBlock removes the rows of a bad block from the batch and quarantines its bytes. A SubjectData or
// ItemGroupData lies within the current subject's rows; a ClinicalData-level problem can reach back to
// earlier subjects of the batch, so the whole batch is filtered by offset. (A dataset batch is cut only
// between subjects, and Rave datasets hold one subject per ClinicalData.)
func (p *parser) dropBlock(be *odm.BlockError) {
	inBlock := func(o int64) bool { return o >= be.Start && o < be.End }
	offs := p.offsets
	p.cur.rows.Filter(0, func(i int) bool { return !inBlock(offs[i]) })
	p.offsets = slices.DeleteFunc(p.offsets, inBlock)
	frag := string(be.Fragment) // copies: the fragment is valid only until the next row
	if be.Fragment == nil {
		frag = fmt.Sprintf("(block of %d bytes at offset %d, larger than the capture limit)", be.End-be.Start, be.Start)
	}
	p.cur.quarantined = append(p.cur.quarantined, store.Quarantined{RunID: p.runID, Source: p.source,
		Reason: be.Block + ": " + be.Err.Error(), Fragment: frag})
}

// known checks a row's subject against the study's subject listing, refreshing the listing once per
// answer when a subject is new to it.
func (p *parser) known(ctx context.Context, row *odm.Row, subject string) (bool, error) {
	if p.subjects == nil {
		return true, nil
	}
	if ok, seen := p.unknownOK[subject]; seen {
		return ok, nil
	}
	ok, err := p.subjects.has(ctx, subject, row.Subject)
	if err != nil {
		return false, err
	}
	p.unknownOK[strings.Clone(subject)] = ok
	return ok, nil
}

// holdUnknown keeps a row of an unlisted subject for quarantine, as ODM rebuilt from the row: the
// reader hands out rows, not the bytes of a well-formed block.
func (p *parser) holdUnknown(row *odm.Row, subject string) {
	u := p.unknown[subject]
	if u == nil {
		u = &unknownSubject{site: strings.Clone(row.Site)}
		p.unknown[strings.Clone(subject)] = u
	}
	u.n++
	fmt.Fprintf(&u.xml, "  <ItemData StudyEventOID=%q StudyEventRepeatKey=%q FormOID=%q FormRepeatKey=%q ItemGroupOID=%q ItemGroupRepeatKey=%q ItemOID=%q Value=%q",
		xmlEscape(row.Event), xmlEscape(row.EventRepeat), xmlEscape(row.Form), xmlEscape(row.FormRepeat), xmlEscape(row.ItemGroup),
		xmlEscape(row.ItemGroupRepeat), xmlEscape(row.Item), xmlEscape(row.Value))
	if a := row.Audit; a != nil {
		fmt.Fprintf(&u.xml, " AuditSourceID=%q", xmlEscape(a.SourceID))
	}
	u.xml.WriteString("/>\n")
}

func (p *parser) flushUnknown() {
	names := make([]string, 0, len(p.unknown))
	for n := range p.unknown {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		u := p.unknown[n]
		p.cur.quarantined = append(p.cur.quarantined, store.Quarantined{RunID: p.runID, Source: p.source,
			Reason:   fmt.Sprintf("subject %q (site %s) is not in the study's subject listing: %d rows held back (fragment rebuilt from the rows)", n, u.site, u.n),
			Fragment: fmt.Sprintf("<SubjectData SubjectKey=%q>\n  <SiteRef LocationOID=%q/>\n%s</SubjectData>", xmlEscape(n), xmlEscape(u.site), u.xml.String())})
	}
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// xmlEscape escapes for an attribute value written with %q (which adds Go quoting of its own for
// control characters; fine for a fragment meant for a person).
func xmlEscape(s string) string { return xmlEscaper.Replace(s) }
