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
	Status            int // HTTP status of the answer
	ReferenceNumber   string
	InboundODMFileOID string
	// SuccessStatistics is the attribute as RWS wrote it ("Rave objects touched: Subjects=0; Folders=0;
	// Forms=0; Fields=1; LogLines=0", or "N/A"), for callers that check it (exposure.ParseStatistics).
	SuccessStatistics string
	// Touched holds the readable counts of SuccessStatistics, keyed by object name; names RWS adds
	// later are kept too, and parts that are not Name=number are left out (SuccessStatistics keeps
	// them). It never turns an accepted transaction into an error: IsTransactionSuccessful decides.
	Touched                  map[string]int
	NewRecords               string
	SubjectNumberInStudy     string
	SubjectNumberInStudySite string
}

// Fields is the number of fields the transaction touched.
func (r *PostResult) Fields() int { return r.Touched["Fields"] }

// PostClinicalData posts one ODM transactional document (all-or-nothing on the RWS side). It succeeds
// only when the answer says IsTransactionSuccessful="1", whatever the HTTP status: RWS can answer 200
// with "0". A document RWS refuses comes back as an *Error matching ErrRejected with its ReasonCode and
// the ErrorOriginLocation of the offending element.
//
// The request is sent once: the outbox that calls it owns the retries, and its attempts are what
// [exposure] max_attempts counts. A 429 or 5xx comes back retryable with the server's Retry-After; a
// connection lost after sending comes back retryable too (a resend is harmless: Rave finds the log line
// by its Context); an unreachable Rave comes back offline, unsent. Only a 401 is tried once more, as
// for every request, before the credential is called rejected.
func (c *Client) PostClinicalData(ctx context.Context, odm []byte) (*PostResult, error) {
	u := c.endpoint(nil, "webservice.aspx")
	u.RawQuery = "PostODMClinicalData"
	r := request{method: http.MethodPost, url: u, body: odm, contentType: "text/xml; charset=utf-8", once: true}
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
	return &PostResult{
		Status: status, ReferenceNumber: doc.ReferenceNumber, InboundODMFileOID: doc.InboundODMFileOID,
		SuccessStatistics: doc.SuccessStatistics, Touched: parseStatistics(doc.SuccessStatistics),
		NewRecords: doc.NewRecords, SubjectNumberInStudy: doc.SubjectNumberInStudy,
		SubjectNumberInStudySite: doc.SubjectNumberInStudySite,
	}, nil
}

// parseStatistics reads the Name=number parts of "Rave objects touched: Subjects=0; Folders=0;
// Forms=0; Fields=1; LogLines=0", leniently: a part it cannot read is left out, "N/A" (a metadata
// post) and "" give an empty map. It never fails: the transaction was accepted either way.
func parseStatistics(s string) map[string]int {
	out := map[string]int{}
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "Rave objects touched:")
	if !ok {
		return out
	}
	for _, part := range strings.Split(rest, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if k = strings.TrimSpace(k); ok && err == nil && k != "" && n >= 0 {
			out[k] = n
		}
	}
	return out
}
