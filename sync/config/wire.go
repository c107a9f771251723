package config

// The wire types mirror the TOML file exactly, so that decoding with unknown fields disallowed rejects
// every key the file format does not define. They are converted to the domain types in one place
// (validate.go), after validation; presence of a key is read from the position index, not from zero values.

type fileConfig struct {
	Rave       *fileRave       `toml:"rave"`
	Exposure   *fileExposure   `toml:"exposure"`
	SureAdhere *fileSureAdhere `toml:"sureadhere"`
	Checklist  *fileChecklist  `toml:"checklist"`
	Audit      *fileAudit      `toml:"audit"`
	Send       *fileSend       `toml:"send"`
}

type fileRave struct {
	URL      string      `toml:"url"`
	Auth     string      `toml:"auth"`
	User     string      `toml:"user"`
	PageSize int         `toml:"page_size"`
	ClientID string      `toml:"client_id"`
	TokenURL string      `toml:"token_url"`
	Poll     string      `toml:"poll"`
	Study    []fileStudy `toml:"study"`
	// RequestsPerSecond bounds the requests to Rave when it states no budget of its own.
	RequestsPerSecond float64 `toml:"requests_per_second"`
}

type fileStudy struct {
	OID     string   `toml:"oid"`
	Sites   []string `toml:"sites"`
	ArmItem string   `toml:"arm_item"`
}

type fileExposure struct {
	StudyOID    string            `toml:"study_oid"`
	StudyEvent  string            `toml:"study_event"`
	Drugs       map[string]string `toml:"drugs"`
	MaxAttempts int               `toml:"max_attempts"`
	IntakeAddr  string            `toml:"intake_addr"`
}

type fileSureAdhere struct {
	URL      string            `toml:"url"`
	Regimens map[string]string `toml:"regimens"`
}

type fileSend struct {
	Every string `toml:"every"`
}

type fileAudit struct {
	VerifyEvery string `toml:"verify_every"`
}

type fileChecklist struct {
	StudyID  string            `toml:"study_id"`
	EDCURL   string            `toml:"edc_url"`
	CTMSURL  string            `toml:"ctms_url"`
	Owners   map[string]string `toml:"owners"`
	PageSize int               `toml:"page_size"`
	// ReconcileEvery is the interval of the reconciliation service.
	ReconcileEvery string               `toml:"reconcile_every"`
	EDC            *fileChecklistSystem `toml:"edc"`
	CTMS           *fileChecklistSystem `toml:"ctms"`
}

type fileChecklistSystem struct {
	Fields   map[string]string `toml:"fields"`
	Statuses map[string]string `toml:"statuses"`
	ListPath string            `toml:"list_path"`
	ItemPath string            `toml:"item_path"`
}
