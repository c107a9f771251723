package config

// The wire types mirror the TOML file exactly: Load decodes into them with unknown fields disallowed, so
// that every key the file format does not define is rejected, and Encode writes them (empty values left
// out, so that an absent setting stays absent and takes its default rather than being written as a zero
// the validator refuses; maps as inline tables). They are converted to the domain types in one place
// (validate.go), after validation; presence of a key is read from the position index, not from zero values.

type fileConfig struct {
	Rave       *fileRave       `toml:"rave,omitempty"`
	Exposure   *fileExposure   `toml:"exposure,omitempty"`
	SureAdhere *fileSureAdhere `toml:"sureadhere,omitempty"`
	Checklist  *fileChecklist  `toml:"checklist,omitempty"`
	Audit      *fileAudit      `toml:"audit,omitempty"`
	Send       *fileSend       `toml:"send,omitempty"`
}

type fileRave struct {
	URL      string `toml:"url"`
	Auth     string `toml:"auth"`
	User     string `toml:"user,omitempty"`
	ClientID string `toml:"client_id,omitempty"`
	TokenURL string `toml:"token_url,omitempty"`
	PageSize int    `toml:"page_size,omitempty"`
	Poll     string `toml:"poll,omitempty"`
	// RequestsPerSecond bounds the requests to Rave when it states no budget of its own. It is written
	// before the studies: TOML keys of a table come before its subtables.
	RequestsPerSecond float64     `toml:"requests_per_second,omitempty"`
	Study             []fileStudy `toml:"study,omitempty"`
}

type fileStudy struct {
	OID     string   `toml:"oid"`
	Sites   []string `toml:"sites,omitempty"`
	ArmItem string   `toml:"arm_item,omitempty"`
}

type fileExposure struct {
	StudyOID    string            `toml:"study_oid"`
	StudyEvent  string            `toml:"study_event"`
	Drugs       map[string]string `toml:"drugs,inline"`
	MaxAttempts int               `toml:"max_attempts,omitempty"`
	IntakeAddr  string            `toml:"intake_addr,omitempty"`
}

type fileSureAdhere struct {
	URL      string            `toml:"url"`
	Regimens map[string]string `toml:"regimens,inline"`
}

type fileSend struct {
	Every string `toml:"every,omitempty"`
}

type fileAudit struct {
	VerifyEvery string `toml:"verify_every,omitempty"`
}

type fileChecklist struct {
	StudyID  string            `toml:"study_id"`
	EDCURL   string            `toml:"edc_url"`
	CTMSURL  string            `toml:"ctms_url"`
	Owners   map[string]string `toml:"owners,inline,omitempty"`
	PageSize int               `toml:"page_size,omitempty"`
	// ReconcileEvery is the interval of the reconciliation service.
	ReconcileEvery string               `toml:"reconcile_every,omitempty"`
	EDC            *fileChecklistSystem `toml:"edc,omitempty"`
	CTMS           *fileChecklistSystem `toml:"ctms,omitempty"`
}

type fileChecklistSystem struct {
	Fields   map[string]string `toml:"fields,inline,omitempty"`
	Statuses map[string]string `toml:"statuses,inline,omitempty"`
	ListPath string            `toml:"list_path,omitempty"`
	ItemPath string            `toml:"item_path,omitempty"`
}
