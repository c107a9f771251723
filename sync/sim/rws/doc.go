// Package rws is the Rave Web Services simulator, on the sync/sim core. Import it as simrws (the RWS
// client is package rws too):
//
//	s, err := simrws.Start("127.0.0.1:0", simrws.Options{Seed: 7, Faults: "429:0.1"})
//	// point the client at s.URL() with Basic s.Options().User / s.Options().Password
//
// Start serves a seeded multi-site study (default "ALPHA(Prod)", sites 101, 102, 103, four subjects
// each, three visits; FromSeed serves the demo's study from testdata/seed/study.toml) under
// <addr>/RaveWebServices:
//
//   - GET version: "1.0.0" as plain text, no authorisation needed, never faulted.
//   - GET studies: ODM with one Study.
//   - GET studies/{Project(Env)}/subjects with status=all, include=, subjectKeyType=SubjectUUID, links=all.
//   - GET studies/{Project(Env)}/datasets/{regular|raw}[/{FormOID}][?start=YYYY-MM-DDTHH:MM:SS]: the
//     current values, one ClinicalData per subject, keyed by subject name; the header
//     X-MWS-CV-Last-Updated gives the time of the newest change. Starts with a UTF-8 BOM and an XML
//     declaration.
//   - GET datasets/ClinicalAuditRecords.odm?studyoid=&startid=&per_page=: the audit records whose
//     audit IDs fall in [startid, startid+per_page). As in Rave, subjects are keyed by UUID there
//     (mdsol:SubjectKeyType="SubjectUUID", the name in mdsol:SubjectName), records carry
//     mdsol:AuditSubCategoryName (SubjectCreated, Entered, EnteredWithChangeCode) and their audit ID
//     in SourceID. Audit IDs are tenant-wide: the study's records come in runs between other
//     studies' IDs, so pages are sparse or empty while a next link is still given, and now and then a
//     stretch of IDs does not exist, so the next link's startid jumps far ahead. The next page is only
//     in `Link: <…>; rel="next"`; the last page has none (poll again from that page's startid). No
//     XML declaration, no BOM, UTF-8, gzip when accepted, chunked.
//   - POST webservice.aspx?PostODMClinicalData (text/xml; charset=utf-8, at most 1,000,000 bytes,
//     else an IIS 413 page): parsed with encoding/xml, validated as a whole, applied all-or-nothing by
//     context (subject, event and repeat, form and repeat, item group and repeat, item). Success is an
//     RWS <Response IsTransactionSuccessful="1" SuccessStatistics="Rave objects touched: …">; refusals
//     are <Response IsTransactionSuccessful="0" ReasonCode ErrorOriginLocation
//     ErrorClientResponseMessage> with RWS00014 (study), RWS00017 (site), RWS00023 (subject),
//     RWS00024 (subject exists), RWS00033 (a drug's form outside the subject's arm, see ArmForms),
//     RWS00037 (form or field), RWS00092 (not ODM). Applied values show up in the datasets and as new
//     audit records after all generated ones; read them back with Value and LogLines.
//     Rave has no Idempotency-Key, and neither has this simulator: a repeated post applies again
//     (an unchanged value touches nothing, as in Rave).
//   - Log lines by context, as the exposure core posts them: an ItemGroupData with
//     ItemGroupRepeatKey="@CONTEXT" holds one ItemData with TransactionType="Context" (EXSTDAT); the
//     post finds the subject's log line of that form whose context item has that value (ignoring
//     case) or makes a new line numbered after the last (Upsert), and applies the other items to it.
//     The statistics count as Rave does: Fields the values that changed (not the context item of a
//     new line, not an empty item entered empty), LogLines the lines made, Forms the form instances
//     that got their first value.
//
// Its answers have the shapes of the RWS samples in testdata/rws (the tests compare them).
//
// Authorisation: HTTP Basic (Options.User/Password) or a bearer token from the OAuth2 token endpoint
// POST /oauth2/token (client credentials; Options.ClientID/ClientSecret; expires_in = TokenTTL).
// No header gives the plain text "Authorization Header not provided"; a wrong password gives an ODM
// root with mdsol:ErrorDescription "… [RWS00008]", and after MaxBadLogins in a row every request
// gets RWS00005 "User is locked out." until Unlock; an unknown or expired token gives RWS00097.
//
// Faults (Options.Faults, the sync/sim grammar) apply to every authorised request, not to version or
// the token endpoint. One more kind is RWS's own: txfail:P[@CODE] answers a post that validated with
// HTTP 200 and IsTransactionSuccessful="0" (ReasonCode CODE, default RWS00040, a locked record) and
// applies nothing, as Rave can. Rave's refusals are its own: a 429 is a short HTML page, a 503 IIS's plain
// text, iis401 IIS's detailed error page. endless serves a dataset whose ClinicalData blocks never
// end; bomb hits only the subject listing, whose single SubjectKey then inflates to 400 MiB.
//
// Scale: records are generated on demand from the seed (nothing is held per record), so
// SubjectsPerSite and Visits can be raised to gigabytes of export. Visible and Advance model data
// entered over time (use them before posting: posted records take IDs after every generated one).
// Options.Arms, ArmOf and MalformedSubject shape the study as the demo's seed describes it.
package rws
