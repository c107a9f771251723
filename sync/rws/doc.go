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
// New builds a *Client for one remote (one Rave tenant). Each endpoint method performs one logical
// request: it waits for its turn (the server's X-RateLimit-Remaining budget when the server states
// one, a local golang.org/x/time/rate limiter otherwise) and a concurrency slot, sends it with Basic or
// OAuth2 bearer authorisation, and retries 429, 5xx and transport failures with exponential backoff
// (cenkalti/backoff/v5, jitter ±20 %, capped at 32 s), honouring Retry-After. A circuit breaker
// (sony/gobreaker/v2) per client stops hammering a tenant that keeps failing: while it is open, calls
// fail at once with an error matching ErrCircuitOpen so the caller can pause that site's polling.
//
// Bodies are never buffered: Page.Body streams the response (gzip and chunked transfer undone by
// net/http, a UTF-8 byte order mark dropped) and must be closed; closing it releases the concurrency
// slot. A body that ends without closing its ODM root reports an error matching ErrTruncated instead
// of io.EOF, so a cut-off page is retried rather than half-stored.
//
// # Caveats
//
// Secrets (the Basic password, the OAuth2 client secret, access tokens) are held only in memory; they
// never appear in errors or logs. Token rotation is reported through Config.OnTokenRotated with the
// token's keyed fingerprint (Config.Fingerprint, the store's), never the token.
//
// The next link of the audit feed is returned exactly as the server gave it; callers store it and
// follow it with FollowNext, which refuses a link that points outside the configured base URL (it
// would carry the credentials elsewhere).
package rws
