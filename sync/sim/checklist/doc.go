// Package checklist is the simulator of the two systems that keep site-activation checklists, an EDC
// and a CTMS, on the sync/sim core. Import it as simchecklist (the reconciliation engine is package
// checklist too):
//
//	edc, err := simchecklist.Start("127.0.0.1:0", simchecklist.FromSeed(study, simchecklist.EDC))
//	// point the EDC adapter at edc.URL() with the bearer token edc.Options().Token
//
// Both systems serve one API (CONTRACT.md, "Checklist systems"), each with its own field names and
// status vocabulary:
//
//	EDC   siteId, code, version, status (DRAFT|SUBMITTED|APPROVED|RETURNED), documentId,
//	      plannedActivation, updatedAt, lastEditedBy
//	CTMS  site, taskCode, formVersion, state (Pending|Pending QC|Verified|Rework), documentId,
//	      signedOff, plannedActivation, modifiedUtc, modifiedBy
//
// Every request needs `Authorization: Bearer <token>`; a missing or wrong token is 401 with
// `WWW-Authenticate: Bearer` (RFC 6750) and an application/problem+json body, as is every error here.
//
//   - GET /v1/checklist-items?study_id=S&limit=N[&cursor=C] answers {"items":[…],"next_cursor":"C2"},
//     next_cursor null on the last page. Items come in (site, code) order; limit defaults to 100 and
//     may be up to 1,000. The cursor is an opaque keyset cursor holding the last key served, so items
//     edited, added or deleted between two pages never make the items that stayed repeat or go
//     missing; a page costs O(log n + limit), whatever page it is. An unknown study_id is 404, a
//     missing one, a bad limit or a cursor this server did not give are 400.
//   - GET /v1/checklist-items/{site}/{code} answers one item exactly as the listing serves it (404 for
//     an unknown site or item). It is not in the contract's minimum: a reconciler reads it just before
//     a PUT, since the systems have no conditional PUT, to leave alone an item edited since its listing.
//   - PUT /v1/checklist-items/{site}/{code} with the item as a JSON object and an Idempotency-Key
//     header (required) answers 200 with the stored item. The PUT replaces the item's writable fields
//     (a field left out becomes null; status is required) and creates the item when the site exists
//     and the item does not. The body is checked as the system would: a field the system does not
//     hold (signedOff sent to the EDC, a misspelt name), a status outside its vocabulary, a value of
//     the wrong type, a date that is not YYYY-MM-DD, or a site or code that disagrees with the path
//     is 400; an unknown site is 404. The update time and the editor are the server's: sent values
//     are ignored, the time is set to now (RFC 3339, UTC) and the editor to the API user
//     (Options.User). The Idempotency-Key follows the IETF draft through sync/sim's store: a replay
//     gets the first answer unchanged, the same key with another body is 422, a replay while the first
//     is in flight is 409.
//
// # Faults
//
// Options.Faults (the sync/sim grammar) applies to the list, the single-item GET and the PUT: 429 (with Retry-After for
// 429ra and storms) and 503 as problem+json, drop and truncate after the handler ran (a PUT hit by
// them is applied and loses its answer; the client's retry with the same key gets the kept answer),
// slow, stall, trickle, close, redirect, and endless (a listing whose items never end). The IIS 401
// page and the gzip bomb do not apply to these systems.
//
// # Scripted edits and readback
//
// Tests and the demo play the systems' users through Edit (or POST /sim/edits with
// {"edits":[…]}, the same bearer token, never faulted): each edit sets some fields of an item in the
// system's own words as a named user, creating the item if needed, or deletes it. A set edit is checked
// like a PUT unless Raw is true, in which case its values are stored verbatim: an unknown status, a
// timestamp without a zone, a value of the wrong type — the mapping defects a reconciler must report
// rather than default. DELETE /sim/items/{site}/{code} deletes one item. Item, Values, Keys and Len
// (GET /sim/items[?site=&code=] over HTTP) read the state back; Count reports what happened ("put",
// "edit", "delete", "list", statuses, faults met, "replay", "idempotency422", …).
//
// # Seeding
//
// Options.Items are seed.ChecklistItems; each system serves its own side of them (EDC or CTMS values),
// with seeded update times and editors. FromSeed takes the demo study's checklists
// (seed.Study.ChecklistItems): every site has every item in both systems, agreeing except on the
// declared conflicts. The baseline those values were agreed on is seed.ChecklistItem.Baseline: the
// demo must store it as the reconciler's baseline before its first run to meet the conflicts (a first
// run without baselines is an initial alignment in which each field's owner wins and nothing
// conflicts). seed.SyntheticChecklist builds the 100,000 items per side of the reconcile benchmark.
package checklist
