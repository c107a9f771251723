package odm

import "strings"

// Kind says what a Row stands for.
type Kind uint8

const (
	// KindItem is one ItemData (or typed ItemDataString, ItemDataInteger, …) value.
	KindItem Kind = iota
	// KindSubject is a SubjectData that carries an AuditRecord or a TransactionType: in a Rave
	// audit-record feed, a subject created, renamed or whose status changed. Item fields are empty.
	KindSubject
	// KindEvent is a StudyEventData with an AuditRecord or TransactionType (e.g. a visit's target date set).
	KindEvent
	// KindForm is a FormData with an AuditRecord or TransactionType.
	KindForm
	// KindItemGroup is an ItemGroupData with an AuditRecord or TransactionType (e.g. a log line inactivated).
	KindItemGroup
)

var kindNames = [...]string{"item", "subject", "event", "form", "item_group"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Row is one value (or one container-level audit event) with its full context. Absent attributes are "".
//
// The Reader reuses one Row and the buffers its strings point into: every field, Audit included, is
// valid only until the next call to Next. Call Clone to keep a row; do not keep its strings (as map keys,
// say) without copying them.
type Row struct {
	Kind Kind

	Study           string // ClinicalData StudyOID
	MetaDataVersion string // ClinicalData MetaDataVersionOID
	Subject         string // SubjectData SubjectKey
	SubjectName     string // SubjectData mdsol:SubjectName (Rave's subject label when SubjectKey is a UUID)
	SubjectStatus   string // SubjectData mdsol:Status
	Site            string // SiteRef LocationOID
	Event           string // StudyEventData StudyEventOID
	EventRepeat     string // StudyEventRepeatKey
	Form            string // FormData FormOID
	FormRepeat      string // FormRepeatKey
	ItemGroup       string // ItemGroupData ItemGroupOID
	ItemGroupRepeat string // ItemGroupRepeatKey
	Item            string // ItemData ItemOID

	Value  string // Value attribute, or the text of a typed ItemData element
	IsNull bool   // IsNull="Yes"

	// TransactionType is the element's own TransactionType (the ItemData's, or the container's for a
	// container row): Insert, Update, Remove, Upsert, Context or "".
	TransactionType string

	// Audit is the element's AuditRecord, nil when it has none.
	Audit *Audit

	// Offset is the byte offset of the element's start tag: rows with Start <= Offset < End belong to
	// the block a *BlockError reports.
	Offset int64
}

// Audit is an ODM AuditRecord, plus Rave's audit sub-category from the enclosing ClinicalData.
type Audit struct {
	User        string // UserRef UserOID
	Location    string // LocationRef LocationOID
	Time        string // DateTimeStamp
	Reason      string // ReasonForChange
	SourceID    string // SourceID
	SubCategory string // mdsol:AuditSubCategoryName on the ClinicalData
}

// Clone returns a deep copy of r that stays valid after the Reader moves on.
func (r *Row) Clone() *Row {
	c := *r
	for _, p := range []*string{&c.Study, &c.MetaDataVersion, &c.Subject, &c.SubjectName, &c.SubjectStatus,
		&c.Site, &c.Event, &c.EventRepeat, &c.Form, &c.FormRepeat, &c.ItemGroup, &c.ItemGroupRepeat, &c.Item,
		&c.Value, &c.TransactionType} {
		*p = strings.Clone(*p)
	}
	if r.Audit != nil {
		a := Audit{
			User: strings.Clone(r.Audit.User), Location: strings.Clone(r.Audit.Location),
			Time: strings.Clone(r.Audit.Time), Reason: strings.Clone(r.Audit.Reason),
			SourceID: strings.Clone(r.Audit.SourceID), SubCategory: strings.Clone(r.Audit.SubCategory),
		}
		c.Audit = &a
	}
	return &c
}
