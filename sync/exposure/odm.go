package exposure

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trialsync/trialsync/sync/config"
	"github.com/trialsync/trialsync/sync/odm"
)

// MaxBody is the largest POST body Rave Web Services accepts (RWS "Working with subject data": "My
// Request body does not exceed the maximum request size of 1,000,000 bytes").
const MaxBody = 1_000_000

// DefaultMetaDataVersion is the MetaDataVersionOID written on ClinicalData. The ODM 1.3.2 schema requires
// the attribute; Rave applies a posted transaction to the subject's current CRF version whatever it says,
// and rwslib's ClinicalData builder writes "1" by default too.
const DefaultMetaDataVersion = "1"

// Errors of Mapping.Body. Each is a broken precondition of the caller, not a remote failure: retrying the
// same input gives the same error.
var (
	ErrNothingToSend = errors.New("exposure: nothing to send")
	ErrSubjects      = errors.New("exposure: one POST carries one subject")
	ErrTooLarge      = errors.New("exposure: ODM body over the RWS limit of 1,000,000 bytes")
)

// Mapping says where exposure log lines go in Rave: the study, the folder (StudyEventOID) and the
// MetaDataVersionOID. The FormOID comes with each log line (its drug's form).
type Mapping struct {
	StudyOID        string
	StudyEvent      string // StudyEventOID of the folder holding the exposure forms, e.g. "SM"
	MetaDataVersion string // DefaultMetaDataVersion when empty
}

// NewMapping returns the mapping of the [exposure] section.
func NewMapping(c *config.Exposure) Mapping {
	return Mapping{StudyOID: c.StudyOID, StudyEvent: c.StudyEvent, MetaDataVersion: DefaultMetaDataVersion}
}

// Header identifies one POST: FileOID must be unique per send (Rave echoes it back as InboundODMFileOID,
// so it is the send's correlation ID; NewFileOID makes one) and Created is its CreationDateTime.
type Header struct {
	FileOID string
	Created time.Time
}

// NewFileOID returns a random UUID (version 4) for Header.FileOID.
func NewFileOID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+); it crashes the program instead
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ItemOID spells the Rave ItemOID of a field on a form: FORMOID.FIELDOID. That is how Rave names the
// items of its forms in every ODM it writes and reads (rwslib's fixture car_message.xml: "VS.VSDTC",
// "FORM_PAIN_SI.IT_DATE"; a Medidata Coder post to RWS: ItemOID="CONMED.CMTRT"), so a drug's form
// EX_INH has items EX_INH.EXSTDAT, EX_INH.EXNUM, ….
func ItemOID(form, item string) string { return form + "." + item }

// StartDateValue writes a YYYY-MM-DD start date the way the Rave date field expects it: dd MMM yyyy with
// an upper-case month ("2024-11-03" gives "03 NOV 2024").
func StartDateValue(date string) (string, error) {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return "", fmt.Errorf("exposure: start date %q: %w", date, err)
	}
	return strings.ToUpper(t.Format("02 Jan 2006")), nil
}

// Expected is what a successful POST should have touched in Rave, to compare with the answer's
// SuccessStatistics (see Expected.Compare).
type Expected struct {
	Fields   int // ItemData written with TransactionType Upsert (the Context items are not written)
	LogLines int // log lines (ItemGroupData) in the POST
	// Resent marks a POST sent again after an attempt whose answer was lost: Rave may already have
	// applied it, and then touches nothing the second time.
	Resent bool
}

// Body writes the ODM 1.3 transactional document for sends (all of one subject at one site) and returns
// it with what Rave should report touching. Per log line it writes, inside
//
//	SubjectData (Update) > SiteRef > StudyEventData (StudyEventOID m.StudyEvent, repeat key 1, Update)
//	> FormData (the line's FormOID, Update)
//
// one ItemGroupData with ItemGroupOID = FormOID, ItemGroupRepeatKey "@CONTEXT" and TransactionType
// Upsert, holding the Context item EXSTDAT (dd MMM yyyy, TransactionType Context), by which Rave finds
// the line or makes it, then the changed items (TransactionType Upsert). Log lines of one form share
// one FormData, in the order given.
//
// It refuses sends of more than one subject or site (ErrSubjects), sends with no item (ErrNothingToSend)
// and a document over MaxBody (ErrTooLarge): one POST must stay one subject, whole or not at all.
func (m Mapping) Body(h Header, sends []Send) ([]byte, Expected, error) {
	var exp Expected
	if len(sends) == 0 {
		return nil, exp, ErrNothingToSend
	}
	subject, site := sends[0].Key.Subject, sends[0].Site
	var forms []string
	byForm := map[string][]Send{}
	for _, s := range sends {
		if s.Key.Subject != subject || s.Site != site {
			return nil, exp, fmt.Errorf("%w: %s at site %s and %s at site %s", ErrSubjects, subject, site, s.Key.Subject, s.Site)
		}
		if len(s.Items) == 0 {
			return nil, exp, fmt.Errorf("%w for log line %s", ErrNothingToSend, s.Key)
		}
		if _, seen := byForm[s.Key.Form]; !seen {
			forms = append(forms, s.Key.Form)
		}
		byForm[s.Key.Form] = append(byForm[s.Key.Form], s)
		exp.Fields += len(s.Items)
		exp.LogLines++
	}
	mdv := m.MetaDataVersion
	if mdv == "" {
		mdv = DefaultMetaDataVersion
	}

	var buf bytes.Buffer
	w := odm.NewWriter(&buf, odm.Header{FileOID: h.FileOID, Created: h.Created.UTC()})
	steps := []func() error{
		func() error { return w.StartClinicalData(m.StudyOID, mdv) },
		func() error { return w.StartSubject(odm.Subject{Key: subject, Site: site, TransactionType: "Update"}) },
		func() error {
			return w.StartEvent(odm.Container{OID: m.StudyEvent, RepeatKey: "1", TransactionType: "Update"})
		},
	}
	for _, form := range forms {
		steps = append(steps, func() error { return w.StartForm(odm.Container{OID: form, TransactionType: "Update"}) })
		for _, s := range byForm[form] {
			steps = append(steps, func() error { return writeLine(w, s) })
		}
		steps = append(steps, w.End)
	}
	steps = append(steps, w.Close)
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, Expected{}, fmt.Errorf("exposure: writing the ODM for subject %s: %w", subject, err)
		}
	}
	if buf.Len() > MaxBody {
		return nil, Expected{}, fmt.Errorf("%w: %d bytes for subject %s", ErrTooLarge, buf.Len(), subject)
	}
	return buf.Bytes(), exp, nil
}

// writeLine writes one log line's ItemGroupData.
func writeLine(w *odm.Writer, s Send) error {
	date, err := StartDateValue(s.Key.StartDate)
	if err != nil {
		return err
	}
	if err := w.StartItemGroup(odm.Container{OID: s.Key.Form, RepeatKey: odm.ContextRepeatKey, TransactionType: "Upsert"}); err != nil {
		return err
	}
	if err := w.Item(odm.Item{OID: ItemOID(s.Key.Form, ItemStartDate), Value: date, TransactionType: "Context"}); err != nil {
		return err
	}
	for _, it := range s.Items {
		if err := w.Item(odm.Item{OID: ItemOID(s.Key.Form, it.Name), Value: it.Value, TransactionType: "Upsert"}); err != nil {
			return err
		}
	}
	return w.End()
}
