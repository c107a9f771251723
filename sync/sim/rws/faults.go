package rws

import (
	"bytes"
	"net/http"

	"github.com/trialsync/trialsync/sync/sim"
)

// refuse writes what reaches a client when RWS or the IIS in front of it refuses a request: an HTML
// page for a 429, IIS's plain text for a 503, IIS's detailed error page for a 401.
func refuse(w http.ResponseWriter, _ *http.Request, status int) {
	switch status {
	case http.StatusTooManyRequests:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("<html><head><title>429 Too Many Requests</title></head><body><h1>Too Many Requests</h1></body></html>"))
	case http.StatusServiceUnavailable:
		textError(w, status, "HTTP 503 Service Temporarily Unavailable")
	default:
		iisError(w, status)
	}
}

// faultRoutes says which faults hit which requests: every authorised request admits every fault,
// with an endless answer that repeats one subject's ClinicalData block after a dataset's head; only
// the subject listing admits the gzip bomb, a listing whose one SubjectKey is about 400 MiB long.
func (s *Server) faultRoutes() routes {
	st := s.study
	head := newBuffer()
	head.odmOpen("Snapshot", true)
	head.flush()

	unit := newBuffer()
	sw := subjectWriter{o: unit.odmWriter, study: s.opts.Study, name: st.subjectName(0), site: st.subjectSite(0)}
	for j, e := range st.template {
		if e.kind == entryEntered && e.item.form == "DM" {
			sw.item(e.item, st.value(0, j), false)
		}
	}
	sw.close()
	unit.flush()
	endless := sim.Filler{ContentType: "text/xml; charset=utf-8", Head: head.Bytes(), Unit: unit.Bytes()}

	bombHead := newBuffer()
	bombHead.odmOpen("Snapshot", true)
	bombHead.s(`<ClinicalData`)
	bombHead.attr("StudyOID", s.opts.Study)
	bombHead.s(` MetaDataVersionOID="`, metaVersion, `"><SubjectData SubjectKey="`)
	bombHead.flush()
	bombTail := newBuffer()
	bombTail.s(`"><SiteRef`)
	bombTail.attr("LocationOID", st.subjectSite(0))
	bombTail.s("/></SubjectData></ClinicalData>\n</ODM>\n")
	bombTail.flush()
	bomb := sim.Filler{ContentType: "text/xml; charset=utf-8", Head: bombHead.Bytes(), Unit: []byte("A"), Tail: bombTail.Bytes()}

	all := sim.Route{Faults: sim.AllFaults, Endless: func(*http.Request) sim.Filler { return endless }}
	subjects := all
	subjects.Bomb = func(*http.Request) sim.Filler { return bomb }
	return routes{all: all, subjects: subjects}
}

// buffer is an odmWriter into memory, for the fixed pieces of made-up answers.
type buffer struct {
	*odmWriter
	b *bytes.Buffer
}

func newBuffer() buffer {
	b := &bytes.Buffer{}
	return buffer{odmWriter: newODMWriter(b), b: b}
}

func (b buffer) Bytes() []byte { return b.b.Bytes() }
