package odm

// elem is an ODM element the Reader knows.
type elem uint8

const (
	eNone elem = iota
	eUnknown
	eODM
	eClinicalData
	eSubjectData
	eSiteRef
	eStudyEventData
	eFormData
	eItemGroupData
	eItemData
	eItemDataTyped // ODM 1.3.2 ItemDataString, ItemDataInteger, …: the value is the element's text
	eAuditRecord
	eUserRef
	eLocationRef
	eDateTimeStamp
	eReasonForChange
	eSourceID
	eIgnored  // ODM clinical-data elements that carry nothing a row keeps: skipped with their subtree
	eTopLevel // Study, AdminData, ReferenceData, Association: skipped with their subtree
)

// odmElem maps the local name of an element in the ODM namespace to its code. The names of every row
// are looked up by length first; the rest go through odmElemRare.
func odmElem(local []byte) elem {
	switch len(local) {
	case 7:
		if string(local) == "UserRef" {
			return eUserRef
		}
	case 8:
		switch string(local) {
		case "ItemData":
			return eItemData
		case "SourceID":
			return eSourceID
		}
	case 11:
		switch string(local) {
		case "AuditRecord":
			return eAuditRecord
		case "LocationRef":
			return eLocationRef
		}
	case 13:
		switch string(local) {
		case "DateTimeStamp":
			return eDateTimeStamp
		case "ItemGroupData":
			return eItemGroupData
		}
	case 15:
		if string(local) == "ReasonForChange" {
			return eReasonForChange
		}
	}
	return odmElemRare(local)
}

func odmElemRare(local []byte) elem {
	switch string(local) {
	case "ItemData":
		return eItemData
	case "AuditRecord":
		return eAuditRecord
	case "UserRef":
		return eUserRef
	case "LocationRef":
		return eLocationRef
	case "DateTimeStamp":
		return eDateTimeStamp
	case "ReasonForChange":
		return eReasonForChange
	case "SourceID":
		return eSourceID
	case "ItemGroupData":
		return eItemGroupData
	case "FormData":
		return eFormData
	case "StudyEventData":
		return eStudyEventData
	case "SubjectData":
		return eSubjectData
	case "SiteRef":
		return eSiteRef
	case "ClinicalData":
		return eClinicalData
	case "ODM":
		return eODM
	case "ItemDataAny", "ItemDataString", "ItemDataInteger", "ItemDataFloat", "ItemDataDouble", "ItemDataDate",
		"ItemDataTime", "ItemDataDatetime", "ItemDataBoolean", "ItemDataHexBinary", "ItemDataBase64Binary",
		"ItemDataHexFloat", "ItemDataBase64Float", "ItemDataPartialDate", "ItemDataPartialTime",
		"ItemDataPartialDatetime", "ItemDataDurationDatetime", "ItemDataIntervalDatetime",
		"ItemDataIncompleteDatetime", "ItemDataIncompleteDate", "ItemDataIncompleteTime", "ItemDataURI":
		return eItemDataTyped
	case "Signature", "Annotation", "InvestigatorRef", "MeasurementUnitRef", "ArchiveLayoutRef", "AuditRecords",
		"Signatures", "Annotations":
		return eIgnored
	case "Study", "AdminData", "ReferenceData", "Association":
		return eTopLevel
	}
	return eUnknown
}

var elemNames = map[elem]string{
	eODM: "ODM", eClinicalData: "ClinicalData", eSubjectData: "SubjectData", eSiteRef: "SiteRef",
	eStudyEventData: "StudyEventData", eFormData: "FormData", eItemGroupData: "ItemGroupData",
	eItemData: "ItemData", eItemDataTyped: "ItemData", eAuditRecord: "AuditRecord", eUserRef: "UserRef",
	eLocationRef: "LocationRef", eDateTimeStamp: "DateTimeStamp", eReasonForChange: "ReasonForChange",
	eSourceID: "SourceID",
}

func (e elem) String() string {
	if n, ok := elemNames[e]; ok {
		return n
	}
	return "element"
}

// validTransactionType is the ODM 1.3 TransactionType enumeration.
func validTransactionType(v []byte) bool {
	switch string(v) {
	case "Insert", "Update", "Remove", "Upsert", "Context":
		return true
	}
	return false
}
