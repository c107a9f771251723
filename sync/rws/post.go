package rws

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// PostResult is RWS's answer to a successful PostODMClinicalData.
type PostResult struct {
	ReferenceNumber   string
	InboundODMFileOID string
	// Touched holds the counts of SuccessStatistics ("Rave objects touched: Subjects=0; Folders=0;
	// Forms=0; Fields=1; LogLines=0"), keyed by object name; names RWS adds later are kept too.
	Touched                  map[string]int
	NewRecords               string
	SubjectNumberInStudy     string
	SubjectNumberInStudySite string
}

// Fields is the number of fields the transaction touched.
func (r *PostResult) Fields() int { return r.Touched["Fields"] }

// PostClinicalData posts one ODM transactional document (all-or-nothing on the RWS side). A document
// RWS refuses comes back as an *Error matching ErrRejected with its ReasonCode and the
// ErrorOriginLocation of the offending element. The request is sent again only when RWS surely did
// not process it (unreachable, 429, 5xx); a connection lost after sending is returned, retryable, for
// the outbox to decide.
func (c *Client) PostClinicalData(ctx context.Context, odm []byte) (*PostResult, error) {
	u := c.endpoint(nil, "webservice.aspx")
	u.RawQuery = "PostODMClinicalData"
	r := request{method: http.MethodPost, url: u, body: odm, contentType: "text/xml; charset=utf-8"}
	if len(odm) > MaxPostBytes {
		return nil, &Error{Op: r.op(), Message: fmt.Sprintf("body of %d bytes exceeds the RWS limit of %d", len(odm), MaxPostBytes), Err: ErrTooLarge}
	}
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		return nil, err
	}
	return parsePostResponse(r.op(), resp.StatusCode, raw)
}

func parsePostResponse(op string, status int, raw []byte) (*PostResult, error) {
	raw = bytes.TrimPrefix(bytes.TrimSpace(raw), utf8BOM)
	var doc struct {
		XMLName                  xml.Name
		ReferenceNumber          string `xml:"ReferenceNumber,attr"`
		InboundODMFileOID        string `xml:"InboundODMFileOID,attr"`
		IsTransactionSuccessful  string `xml:"IsTransactionSuccessful,attr"`
		SuccessStatistics        string `xml:"SuccessStatistics,attr"`
		NewRecords               string `xml:"NewRecords,attr"`
		SubjectNumberInStudy     string `xml:"SubjectNumberInStudy,attr"`
		SubjectNumberInStudySite string `xml:"SubjectNumberInStudySite,attr"`
	}
	if err := xml.Unmarshal(raw, &doc); err != nil || doc.XMLName.Local != "Response" {
		eb := parseErrorBody(raw)
		return nil, &Error{Op: op, Status: status, Shape: eb.shape, ReasonCode: eb.reasonCode,
			Message: "answer is not an RWS <Response>: " + eb.message, Retryable: false}
	}
	if strings.TrimSpace(doc.IsTransactionSuccessful) != "1" {
		eb := parseErrorBody(raw)
		return nil, &Error{Op: op, Status: status, Shape: eb.shape, ReasonCode: eb.reasonCode,
			Message: eb.message, Origin: eb.origin, Reference: eb.reference}
	}
	touched, err := parseStatistics(doc.SuccessStatistics)
	if err != nil {
		return nil, &Error{Op: op, Status: status, Message: err.Error()}
	}
	return &PostResult{
		ReferenceNumber: doc.ReferenceNumber, InboundODMFileOID: doc.InboundODMFileOID, Touched: touched,
		NewRecords: doc.NewRecords, SubjectNumberInStudy: doc.SubjectNumberInStudy,
		SubjectNumberInStudySite: doc.SubjectNumberInStudySite,
	}, nil
}

// parseStatistics reads "Rave objects touched: Subjects=0; Folders=0; Forms=0; Fields=1; LogLines=0".
// A metadata post says "N/A"; that and "" give an empty map.
func parseStatistics(s string) (map[string]int, error) {
	out := map[string]int{}
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "Rave objects touched:")
	if !ok {
		return out, nil
	}
	for _, part := range strings.Split(rest, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if !ok || err != nil {
			return nil, fmt.Errorf("unreadable SuccessStatistics part %q", part)
		}
		out[strings.TrimSpace(k)] = n
	}
	return out, nil
}
