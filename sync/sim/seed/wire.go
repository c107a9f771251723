package seed

import "github.com/pelletier/go-toml/v2"

// The TOML file's shape, decoded strictly (unknown keys are errors) and converted to Study in one place.

type fileSeed struct {
	Study     fileStudy     `toml:"study"`
	Sites     []fileSite    `toml:"site"`
	Drugs     []fileDrug    `toml:"drug"`
	Arms      []fileArm     `toml:"arm"`
	Dosing    fileDosing    `toml:"dosing"`
	Checklist fileChecklist `toml:"checklist"`
	Trouble   fileTrouble   `toml:"trouble"`
}

type fileStudy struct {
	OID             string `toml:"oid"`
	Name            string `toml:"name"`
	Seed            int64  `toml:"seed"`
	SubjectsPerSite int    `toml:"subjects_per_site"`
	Visits          int    `toml:"visits"`
	ExposureEvent   string `toml:"exposure_event"`
}

type fileSite struct {
	OID  string `toml:"oid"`
	Name string `toml:"name"`
}

type fileDrug struct {
	Name   string `toml:"name"`
	Form   string `toml:"form"`
	DoseMG int    `toml:"dose_mg"`
}

type fileArm struct {
	Name    string   `toml:"name"`
	Regimen string   `toml:"regimen"`
	Drugs   []string `toml:"drugs"`
}

type fileDosing struct {
	FirstDay toml.LocalDate `toml:"first_day"`
	Days     int            `toml:"days"`
	Missed   float64        `toml:"missed"`
}

type fileChecklist struct {
	StudyID   string         `toml:"study_id"`
	Items     []string       `toml:"items"`
	Conflicts []fileConflict `toml:"conflict"`
}

type fileConflict struct {
	Site     string `toml:"site"`
	Item     string `toml:"item"`
	Field    string `toml:"field"`
	Baseline string `toml:"baseline"`
	EDC      string `toml:"edc"`
	CTMS     string `toml:"ctms"`
}

type fileTrouble struct {
	RaveFaults       string         `toml:"rave_faults"`
	MalformedSubject string         `toml:"malformed_subject"`
	WrongDrug        *fileWrongDrug `toml:"wrong_drug"`
	ArmChange        *fileArmChange `toml:"arm_change"`
}

type fileWrongDrug struct {
	Subject string `toml:"subject"`
	Arm     string `toml:"arm"`
	Drug    string `toml:"drug"`
	Day     int    `toml:"day"`
}

type fileArmChange struct {
	Subject string `toml:"subject"`
	From    string `toml:"from"`
	To      string `toml:"to"`
}
