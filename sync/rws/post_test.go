package rws

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

func TestParsePostResponse(t *testing.T) {
	cases := []struct {
		fixture string
		fields  int
		touched map[string]int
		reason  string
		origin  string
		raw     string // SuccessStatistics kept as written
	}{
		{fixture: "success.xml", fields: 1, touched: map[string]int{"Subjects": 0, "Folders": 0, "Forms": 0, "Fields": 1, "LogLines": 0}},
		{fixture: "success_new_stat.xml", fields: 4, touched: map[string]int{"Subjects": 1, "Folders": 2, "Forms": 3, "Queries": 7, "Fields": 4, "LogLines": 5}},
		{fixture: "success_metadata_na.xml", fields: 0, touched: map[string]int{}},
		{fixture: "rejected_subject_exists.xml", reason: "RWS00024", origin: "/ODM/ClinicalData[1]/SubjectData[1]"},
		// An unreadable part never turns an accepted transaction into an error; the raw text is kept.
		{fixture: "bad_stats.xml", touched: map[string]int{}, raw: "Rave objects touched: Subjects=zero"},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(fixtures, "post", tc.fixture))
			if err != nil {
				t.Fatal(err)
			}
			res, err := parsePostResponse("POST webservice.aspx?PostODMClinicalData", 200, raw)
			switch {
			case tc.reason != "":
				e := asError(t, err)
				if e.ReasonCode != tc.reason || e.Origin != tc.origin || !errors.Is(err, ErrRejected) || e.Retryable {
					t.Fatalf("err = %+v", e)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if tc.raw != "" && res.SuccessStatistics != tc.raw {
					t.Errorf("SuccessStatistics = %q, want %q", res.SuccessStatistics, tc.raw)
				}
				if res.Fields() != tc.fields || len(res.Touched) != len(tc.touched) {
					t.Fatalf("touched = %v", res.Touched)
				}
				for k, v := range tc.touched {
					if res.Touched[k] != v {
						t.Errorf("%s = %d, want %d", k, res.Touched[k], v)
					}
				}
			}
		})
	}
}

const postHeader = `<?xml version="1.0" encoding="utf-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:mdsol="http://www.mdsol.com/ns/odm/metadata" ODMVersion="1.3" FileType="Transactional" FileOID="post-test-1" CreationDateTime="2025-03-01T10:00:00">
`

func TestPostClinicalData(t *testing.T) {
	s := startSim(t, simrws.Options{Seed: 4})
	c := newClient(t, testConfig(s, &waits{}))
	ctx := t.Context()

	t.Run("value applied", func(t *testing.T) {
		doc := postHeader + `<ClinicalData StudyOID="ALPHA(Prod)" MetaDataVersionOID="12">
 <SubjectData SubjectKey="102-003" TransactionType="Update"><SiteRef LocationOID="102"/>
  <StudyEventData StudyEventOID="VISIT" StudyEventRepeatKey="2"><FormData FormOID="VS" FormRepeatKey="1"><ItemGroupData ItemGroupOID="VS">
   <ItemData ItemOID="VS.PULSE" Value="188" TransactionType="Upsert"/>
  </ItemGroupData></FormData></StudyEventData></SubjectData></ClinicalData></ODM>`
		res, err := c.PostClinicalData(ctx, []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if res.Fields() != 1 || res.InboundODMFileOID != "post-test-1" || res.ReferenceNumber == "" || res.SubjectNumberInStudySite != "4" {
			t.Fatalf("result %+v", res)
		}
		v, _, ok := s.Value(simrws.ItemKey{Subject: "102-003", Event: "VISIT", EventRepeat: "2", Form: "VS", ItemGroup: "VS", Item: "VS.PULSE"})
		if !ok || v != "188" {
			t.Fatalf("simulator holds %q, %v", v, ok)
		}
		// The same post again touches nothing: Rave leaves an unchanged value alone.
		res, err = c.PostClinicalData(ctx, []byte(doc))
		if err != nil || res.Fields() != 0 {
			t.Fatalf("replay: %+v, %v", res, err)
		}
	})
	t.Run("exposure log line on an extra form", func(t *testing.T) {
		doc := postHeader + `<ClinicalData StudyOID="ALPHA(Prod)" MetaDataVersionOID="12">
 <SubjectData SubjectKey="101-001"><SiteRef LocationOID="101"/>
  <StudyEventData StudyEventOID="SM"><FormData FormOID="EX_INH" FormRepeatKey="1"><ItemGroupData ItemGroupOID="EX_INH_LOG_LINE" ItemGroupRepeatKey="3" TransactionType="Upsert">
   <ItemData ItemOID="EX_INH.EXSTDAT" Value="01 MAR 2025"/><ItemData ItemOID="EX_INH.EXDOSE" Value="2"/>
  </ItemGroupData></FormData></StudyEventData></SubjectData></ClinicalData></ODM>`
		res, err := c.PostClinicalData(ctx, []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if res.Fields() != 2 || res.Touched["LogLines"] != 1 || res.Touched["Forms"] != 1 {
			t.Fatalf("touched %v", res.Touched)
		}
	})
	refusals := []struct {
		name, doc, reason, origin string
		is                        error
	}{
		{"subject exists", `<ClinicalData StudyOID="ALPHA(Prod)"><SubjectData SubjectKey="101-002" TransactionType="Insert"><SiteRef LocationOID="101"/></SubjectData></ClinicalData>`,
			"RWS00024", "/ODM/ClinicalData[1]/SubjectData[1]", ErrRejected},
		{"subject missing", `<ClinicalData StudyOID="ALPHA(Prod)"><SubjectData SubjectKey="101-002"/><SubjectData SubjectKey="109-999"/></ClinicalData>`,
			"RWS00023", "/ODM/ClinicalData[1]/SubjectData[2]", ErrNotFound},
		{"study missing", `<ClinicalData StudyOID="GAMMA(Prod)"><SubjectData SubjectKey="101-002"/></ClinicalData>`,
			"RWS00014", "/ODM/ClinicalData[1]", ErrNotFound},
		{"unknown field", `<ClinicalData StudyOID="ALPHA"><SubjectData SubjectKey="101-002"><StudyEventData StudyEventOID="SCREEN"><FormData FormOID="DM"><ItemGroupData ItemGroupOID="DM"><ItemData ItemOID="DM.SEX" Value="F"/><ItemData ItemOID="DM.NOPE" Value="1"/></ItemGroupData></FormData></StudyEventData></SubjectData></ClinicalData>`,
			"RWS00037", "/ODM/ClinicalData[1]/SubjectData[1]/StudyEventData[1]/FormData[1]/ItemGroupData[1]/ItemData[2]", ErrNotFound},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			before, _, _ := s.Value(simrws.ItemKey{Subject: "101-002", Event: "SCREEN", Form: "DM", ItemGroup: "DM", Item: "DM.SEX"})
			_, err := c.PostClinicalData(ctx, []byte(postHeader+tc.doc+"</ODM>"))
			e := asError(t, err)
			if e.ReasonCode != tc.reason || e.Origin != tc.origin || !errors.Is(err, tc.is) || !errors.Is(err, ErrRejected) || e.Retryable {
				t.Fatalf("err = %v (%+v)", err, e)
			}
			after, _, _ := s.Value(simrws.ItemKey{Subject: "101-002", Event: "SCREEN", Form: "DM", ItemGroup: "DM", Item: "DM.SEX"})
			if before != after {
				t.Errorf("a refused transaction changed DM.SEX from %q to %q", before, after)
			}
		})
	}
	t.Run("too large", func(t *testing.T) {
		before := s.Requests()
		big := postHeader + strings.Repeat(" ", MaxPostBytes) + "</ODM>"
		_, err := c.PostClinicalData(ctx, []byte(big))
		if !errors.Is(err, ErrTooLarge) || s.Requests() != before {
			t.Fatalf("err = %v, requests %d -> %d", err, before, s.Requests())
		}
	})
}
