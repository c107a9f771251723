package rws

import (
	"crypto/rand"
	"fmt"
	"html"
	"net/http"
	"time"
)

// rwsErr is an RWS <Response> error.
type rwsErr struct {
	code, msg, origin, fileOID string
	post                       bool // a PostODMClinicalData answer: carries SuccessStatistics
}

// rwsError answers with an RWS <Response> error document, as RWS does for request errors.
func rwsError(w http.ResponseWriter, status int, e rwsErr) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	fileOID := e.fileOID
	if fileOID == "" {
		fileOID = "Not Supplied"
	}
	fmt.Fprintf(w, "<Response ReferenceNumber=\"%s\"\n    InboundODMFileOID=\"%s\"\n    IsTransactionSuccessful=\"0\"\n    ReasonCode=\"%s\"",
		newUUID(), xmlAttr(fileOID), e.code)
	if e.origin != "" {
		fmt.Fprintf(w, "\n    ErrorOriginLocation=\"%s\"", xmlAttr(e.origin))
	}
	if e.post {
		fmt.Fprint(w, "\n    SuccessStatistics=\"Rave objects touched: Subjects=0; Folders=0; Forms=0; Fields=0; LogLines=0\"")
	}
	fmt.Fprintf(w, "\n    ErrorClientResponseMessage=\"%s\">\n</Response>", xmlAttr(e.msg))
}

// odmError answers with an ODM root carrying mdsol:ErrorDescription, RWS's answer to a bad login.
func odmError(w http.ResponseWriter, status int, desc string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?>
<ODM xmlns:mdsol="http://www.mdsol.com/ns/odm/metadata" FileType="Snapshot" CreationDateTime="%s" FileOID="%s" ODMVersion="1.3" mdsol:ErrorDescription="%s" xmlns="http://www.cdisc.org/ns/odm/v1.3" />`,
		odmNow(), newUUID(), xmlAttr(desc))
}

// iisError answers with an IIS detailed-error HTML page, which is what reaches a client when IIS in
// front of RWS refuses a request (401.x, 404.0, 413, 405).
func iisError(w http.ResponseWriter, status int) {
	title := map[int]string{
		http.StatusUnauthorized:          "401.0 - Unauthorized",
		http.StatusNotFound:              "404.0 - Not Found",
		http.StatusMethodNotAllowed:      "405.0 - Method Not Allowed",
		http.StatusRequestEntityTooLarge: "413.1 - Request Entity Too Large",
	}[status]
	if title == "" {
		title = fmt.Sprintf("%d - %s", status, http.StatusText(status))
	}
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"/>
<title>IIS 8.5 Detailed Error - %s</title>
</head>
<body>
<div id="content">
<div class="content-container">
  <h3>HTTP Error %s</h3>
  <h4>The request could not be served.</h4>
</div>
</div>
<h2>HTTP Error %s</h2>
</body>
</html>`, html.EscapeString(title), html.EscapeString(title), html.EscapeString(title))
}

// textError answers with plain text, as RWS does when the Authorization header is missing.
func textError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg))
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func odmNow() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000-00:00") }
