package config

import "time"

// Defaults applied when a key is absent from a section that is present.
const (
	DefaultPageSize    = 1000
	DefaultPoll        = 5 * time.Minute
	DefaultMaxAttempts = 3
)

// MinPoll is the shortest accepted [rave] poll interval: anything shorter hammers Rave for no gain.
const MinPoll = time.Second

// Config is a loaded, validated configuration. A nil section was absent from the file.
type Config struct {
	// Path is the file the configuration was read from.
	Path string

	Rave       *Rave
	Exposure   *Exposure
	SureAdhere *SureAdhere
	Checklist  *Checklist
	Audit      *Audit
	Send       *Send
}

// Auth selects how trialsync authenticates to Rave Web Services.
type Auth string

// The accepted [rave] auth values.
const (
	AuthBasic  Auth = "basic"
	AuthOAuth2 Auth = "oauth2"
)

// Rave is the [rave] section: where Rave Web Services is and what to pull from it.
type Rave struct {
	// URL is the RWS base URL, e.g. https://example.mdsol.com/RaveWebServices (absolute http or https).
	URL string
	// Auth is AuthBasic (User + keyring entry rave.password) or AuthOAuth2 (ClientID + TokenURL + keyring
	// entry rave.client_secret).
	Auth Auth
	// User is the Basic user name; empty with AuthOAuth2.
	User string
	// ClientID and TokenURL configure OAuth2 client credentials; empty with AuthBasic.
	ClientID string
	TokenURL string
	// PageSize is the per_page of ClinicalAuditRecords requests (DefaultPageSize when absent).
	PageSize int
	// Poll is the interval between pulls of one site (DefaultPoll when absent).
	Poll time.Duration
	// RequestsPerSecond is how many requests per second trialsync sends Rave at most, pulls and dose
	// sends together, when Rave does not state its own budget (0 when absent: the client's default, 10).
	RequestsPerSecond float64
	// Studies are the [[rave.study]] entries, in file order.
	Studies []Study
}

// Study is one [[rave.study]] entry.
type Study struct {
	// OID is the Rave study OID, environment included, e.g. "ALPHA(Prod)".
	OID string
	// Sites limits the pull to these site numbers; empty means every site of the study.
	Sites []string
	// ArmItem is the ItemOID holding the randomised arm (feeds the subject push); may be empty.
	ArmItem string
}

// Exposure is the [exposure] section: daily dose log lines sent to Rave.
type Exposure struct {
	StudyOID   string
	StudyEvent string
	// Drugs maps a drug name (as SureAdhere reports it) to the Rave FormOID its log lines go to.
	Drugs map[string]string
	// MaxAttempts bounds delivery attempts before a message is dead-lettered (DefaultMaxAttempts when absent).
	MaxAttempts int
	// IntakeAddr is the loopback host:port of the exposure intake endpoint; empty means no intake listener.
	IntakeAddr string
}

// SureAdhere is the [sureadhere] section.
type SureAdhere struct {
	URL string
	// Regimens maps a Rave arm to a SureAdhere regimen.
	Regimens map[string]string
}

// Owner names the system whose value wins for a checklist field.
type Owner string

// The accepted [checklist] owners values.
const (
	OwnerEDC  Owner = "edc"
	OwnerCTMS Owner = "ctms"
)

// Checklist is the [checklist] section: site-activation checklist reconciliation.
type Checklist struct {
	StudyID string
	EDCURL  string
	CTMSURL string
	// Owners maps a canonical checklist field to the system that is its source of truth.
	Owners map[string]Owner
	// PageSize is the limit of each listing page (DefaultChecklistPageSize when absent).
	PageSize int
	// ReconcileEvery is the interval between reconciliation runs (DefaultReconcileEvery when absent).
	ReconcileEvery time.Duration
	// EDC and CTMS change each system's default adapter ([checklist.edc], [checklist.ctms]); the zero
	// value keeps the default of the command-line contract.
	EDC, CTMS ChecklistSystem
}
