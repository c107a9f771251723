// Package sim holds real HTTP simulators of the remote systems trialsync talks to, for tests, the
// demo and benchmarks. Each listens on a loopback address only and imitates the real service as it
// behaves on the wire — its paths, error shapes and quirks — not as trialsync's clients would like
// it to behave, so that a client that passes against a simulator has met the real thing's habits.
// Files named rws*.go are the Rave Web Services simulator; others sit beside it.
//
// # RWS simulator
//
// StartRWS serves a seeded multi-site study (default "ALPHA(Prod)", sites 101, 102, 103, four
// subjects each, three visits) under <addr>/RaveWebServices:
//
//   - GET version: "1.0.0" as plain text, no authorisation needed.
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
//     RWS00024 (subject exists), RWS00037 (form or field), RWS00092 (not ODM). Applied values show up
//     in the datasets and as new audit records after all generated ones; read them back with Value.
//
// Authorisation: HTTP Basic (Options.User/Password) or a bearer token from the OAuth2 token endpoint
// POST /oauth2/token (client credentials; Options.ClientID/ClientSecret; expires_in = TokenTTL).
// No header gives the plain text "Authorization Header not provided"; a wrong password gives an ODM
// root with mdsol:ErrorDescription "… [RWS00008]", and after MaxBadLogins in a row every request
// gets RWS00005 "User is locked out." until Unlock; an unknown or expired token gives RWS00097.
//
// Scale: records are generated on demand from the seed (nothing is held per record), so
// SubjectsPerSite and Visits can be raised to gigabytes of export. Visible and Advance model data
// entered over time (use them before posting: posted records take IDs after every generated one).
//
// # Fault injection
//
// The Faults option (`trialsync sim rws --faults SPEC`) is a comma-separated list:
//
//	429:P           a 429 without Retry-After, with probability P per request
//	429ra:P[@D]     a 429 with Retry-After D (whole seconds, default 1s)
//	503burst:N[@P]  a request starts, with probability P (default 0.1), a burst of N consecutive 503s;
//	                bursts are separated by at least one request that is not in a burst
//	drop:P          the connection is cut mid-body (the client sees an unexpected EOF)
//	truncate:P      the body stops early but the HTTP answer ends cleanly (XML cut off)
//	slow:D[@P]      the first byte is delayed by D (with probability P, default every request)
//	expire:D        bearer tokens stop working D after issue, whatever expires_in said
//	iis401:P        an IIS HTML 401 page instead of the answer
//	seed:N          the fault sequence's seed (default the study seed)
//
// e.g. "429:0.1,503burst:3,drop:0.05,truncate:0.05,slow:2s,expire:30s,iis401:0.05". Decisions come
// from one seeded generator, in request order, so a sequential client meets the same faults on every
// run. Faults apply to every authorised RWS request (not to version or the token endpoint); a post
// hit by drop is applied and then loses its answer, as a real lost response would.
package sim
