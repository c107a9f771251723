// Package rws is the client for Medidata Rave Web Services (RWS), the HTTP interface through which
// trialsync reads a study's clinical data and audit trail and posts ODM transactions back.
//
// It exists so that every quirk of the real service lives in one place and nothing above it has to
// know them: the base path is <url>/RaveWebServices; the audit-record feed
// (datasets/ClinicalAuditRecords.odm) gives its next page only in a Link header, whose startid is
// global across studies and may jump far ahead, and pages may be sparse or empty while a next link is
// still given; errors come back in four shapes (an RWS <Response> with a ReasonCode, an ODM root with
// mdsol:ErrorDescription, an IIS HTML page, or plain text); tokens expire; the tenant rate-limits and
// has outages.
//
// # Basics
//
// New builds a *Client for one remote (one Rave tenant) on a *remote.Client, which brings the behaviour
// every trialsync client shares: pacing (X-RateLimit-Remaining, else a local limiter), a concurrency
// bound, Basic or OAuth2 authorisation, retries with jittered backoff and Retry-After, a circuit breaker,
// the offline state, answer deadlines and the redirect policy (see package remote). This package keeps
// only what is Rave's: the endpoints, paging and the Link header, the error shapes and reason codes,
// and the PostODMClinicalData answer. Build one Client per tenant and share it: the Rave pull and the
// exposure sends then share its breaker, limiter and offline state (Remote().State() for the dashboard).
//
// Bodies are never buffered: Page.Body streams the response (gzip and chunked transfer undone by
// net/http, a UTF-8 byte order mark dropped) and must be closed; closing it releases the concurrency
// slot. A body that ends without closing its ODM root reports an error matching ErrTruncated instead
// of io.EOF, so a cut-off page is retried rather than half-stored. Listings (studies, subjects) are
// decoded within fixed bounds on size and token length, whatever the tenant sends.
//
// # Errors
//
// Every error is an *Error carrying RWS's reason code, message and error shape, with the shared
// client's error underneath: errors.As finds a *remote.OfflineError there (Rave unreachable: wait on its
// Ready channel) and remote.IsFatal says when a person must act (a rejected credential: a 401 is tried
// once more, or with a fresh OAuth2 token, never again, so a wrong password cannot lock the account).
//
// # Caveats
//
// Secrets (the Basic password, the OAuth2 client secret, access tokens) are held only in memory; they
// never appear in errors or logs. Token rotation is reported through Config.OnTokenRotated with a
// fingerprint (Config.Fingerprint), never the token.
//
// The next link of the audit feed is checked with CheckNext before it is stored, and followed with
// FollowNext; both refuse a link that would carry the credentials to another origin or outside the
// base path, and FollowNext sends every request to the configured origin only.
package rws
