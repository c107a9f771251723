package rws

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Study is one entry of the studies listing.
type Study struct {
	OID          string // "Mediflex(Dev)"
	Name         string // StudyName
	ProtocolName string
}

// Subject is one entry of a study's subjects listing.
type Subject struct {
	Key         string // SubjectKey: the subject name, or the UUID when SubjectKeyType was SubjectUUID
	KeyType     string // mdsol:SubjectKeyType ("SubjectUUID") or "" for a name key
	Name        string // mdsol:SubjectName when given (UUID keys), else Key
	Site        string // SiteRef LocationOID
	SiteNumber  string // mdsol:StudyEnvSiteNumber when given
	Active      bool   // mdsol:SubjectActive, true when absent
	Deleted     bool   // mdsol:Deleted
	Status      string // mdsol:Status when given
	Incomplete  string // mdsol:Incomplete ("Yes"/"No") when status=all was asked
	MetaVersion string // MetaDataVersionOID of the enclosing ClinicalData
}

// SubjectsOptions selects what the subjects listing returns; they map to RWS's query parameters.
type SubjectsOptions struct {
	Status   bool   // status=all: include the subject status flags
	Include  string // "", "inactive", "deleted" or "inactiveAndDeleted"
	UUIDKeys bool   // subjectKeyType=SubjectUUID
	Links    bool   // links=all
}

// Studies lists the studies the account can see.
func (c *Client) Studies(ctx context.Context) ([]Study, error) {
	r := request{method: http.MethodGet, url: c.endpoint(nil, "studies"), checkODM: true}
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var doc struct {
		Studies []struct {
			OID          string `xml:"OID,attr"`
			Name         string `xml:"GlobalVariables>StudyName"`
			ProtocolName string `xml:"GlobalVariables>ProtocolName"`
		} `xml:"Study"`
	}
	if err := xml.NewDecoder(c.guard(resp.Body, r.op(), "study listing")).Decode(&doc); err != nil {
		return nil, listingError(r.op(), "study listing", err)
	}
	if len(doc.Studies) > c.listingEntries {
		return nil, &Error{Op: r.op(), Message: fmt.Sprintf("the study listing holds more than %d studies; refusing it", c.listingEntries)}
	}
	out := make([]Study, 0, len(doc.Studies))
	for _, s := range doc.Studies {
		out = append(out, Study{OID: s.OID, Name: s.Name, ProtocolName: s.ProtocolName})
	}
	return out, nil
}

// Subjects lists a study's subjects.
func (c *Client) Subjects(ctx context.Context, study string, opts SubjectsOptions) ([]Subject, error) {
	if err := checkStudy(study); err != nil {
		return nil, err
	}
	q := url.Values{}
	if opts.Status {
		q.Set("status", "all")
	}
	if opts.Include != "" {
		switch opts.Include {
		case "inactive", "deleted", "inactiveAndDeleted":
			q.Set("include", opts.Include)
		default:
			return nil, fmt.Errorf("rws: subjects: include %q is not inactive, deleted or inactiveAndDeleted", opts.Include)
		}
	}
	if opts.UUIDKeys {
		q.Set("subjectKeyType", "SubjectUUID")
	}
	if opts.Links {
		q.Set("links", "all")
	}
	if len(q) == 0 {
		q = nil
	}
	r := request{method: http.MethodGet, url: c.endpoint(q, "studies", study, "subjects"), checkODM: true}
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return c.decodeSubjects(c.guard(resp.Body, r.op(), "subject listing"), r.op())
}

// decodeSubjects reads a subjects listing through its guard (see listingGuard), which bounds what
// encoding/xml can be made to hold.
func (c *Client) decodeSubjects(r io.Reader, op string) ([]Subject, error) {
	dec := xml.NewDecoder(r)
	var out []Subject
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, listingError(op, "subject listing", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "ClinicalData" {
			continue
		}
		var cd struct {
			MetaVersion string `xml:"MetaDataVersionOID,attr"`
			Subjects    []struct {
				Key     string     `xml:"SubjectKey,attr"`
				Attrs   []xml.Attr `xml:",any,attr"`
				SiteRef struct {
					Attrs []xml.Attr `xml:",any,attr"`
				} `xml:"SiteRef"`
			} `xml:"SubjectData"`
		}
		if err := dec.DecodeElement(&cd, &se); err != nil {
			return nil, listingError(op, "subject listing", err)
		}
		if len(out)+len(cd.Subjects) > c.listingEntries {
			return nil, &Error{Op: op, Message: fmt.Sprintf("the subject listing holds more than %d subjects; refusing it", c.listingEntries)}
		}
		for _, sd := range cd.Subjects {
			s := Subject{Key: sd.Key, Active: true, MetaVersion: cd.MetaVersion}
			for _, a := range sd.Attrs {
				if a.Name.Space != mdsolNS {
					continue
				}
				switch a.Name.Local {
				case "SubjectKeyType":
					s.KeyType = a.Value
				case "SubjectName":
					s.Name = a.Value
				case "SubjectActive":
					s.Active = a.Value != "No" && a.Value != "0"
				case "Deleted":
					s.Deleted = a.Value == "Yes" || a.Value == "1"
				case "Status":
					s.Status = a.Value
				case "Incomplete":
					s.Incomplete = a.Value
				}
			}
			for _, a := range sd.SiteRef.Attrs {
				switch {
				case a.Name.Local == "LocationOID" && a.Name.Space == "":
					s.Site = a.Value
				case a.Name.Local == "StudyEnvSiteNumber" && a.Name.Space == mdsolNS:
					s.SiteNumber = a.Value
				}
			}
			if s.Name == "" {
				s.Name = s.Key
			}
			out = append(out, s)
		}
	}
}
