// Package sureadhere is the SureAdhere simulator: the patient-ingest endpoint of Dimagi's SureAdhere,
// through which an integration registers each randomised trial subject with the regimen of their arm,
// on the sync/sim core. Import it as simsureadhere (the client is package sureadhere too):
//
//	sa, err := simsureadhere.Start("127.0.0.1:0", simsureadhere.FromSeed(study))
//	// point the client at sa.URL() with the MRNIntegrationToken sa.Options().Token
//
// # The endpoint
//
// POST /treatment/ingest/mrn_regimen with a JSON body {"mrn":"101-001","regimen":"Group 1",
// "site_code":"101"} and the header MRNIntegrationToken, as SureAdhere's "SureAdhere to EDC API
// Specification" describes it (subject ID as MRN, the arm's regimen, the site code; a token per
// workspace). That specification does not show its answers' bodies; where it is silent the simulator
// answers as a Django REST Framework service does, and says so here:
//
//   - 201 Created with the patient: {"id":N,"mrn","regimen","site_code","created_at":RFC 3339}.
//   - 400 for a missing or unknown token, {"detail":"Invalid MRNIntegrationToken."}: the integration's
//     requirements have a bad token answered 400, not 401, so a client must read the detail of a 400.
//   - 400 for a body that does not validate, every problem at once, field by field:
//     {"mrn":["…"],"regimen":["\"Group 3\" is not a valid choice."],"site_code":["…"]}. A field is
//     required, a string, and not blank; the MRN has the form SITE-NNN (the site code, a dash, three
//     digits: how the study names subjects, "101-001") and its site part is the site_code; the site
//     code is one of the workspace's sites; the regimen one of its configured regimens. Fields the
//     endpoint does not know are ignored, as a DRF serializer ignores them. A body that is not JSON
//     is {"detail":"JSON parse error - …"}.
//   - 409 Conflict when the workspace already has a patient with that MRN, whatever the regimen or
//     site sent: {"detail":"A patient with MRN 101-001 already exists."}. MRNs are unique per
//     workspace; another workspace's token may register the same MRN.
//   - 415 when the Content-Type is not application/json; 413 for a body over 64 KiB.
//   - 429 Too Many Requests when one client address sends faster than Options.Rate per second
//     (bursts of Options.Burst), with Retry-After in whole seconds and
//     {"detail":"Request was throttled. Expected available in N seconds."} (DRF's throttle answer).
//     Throttling is per IP, before the token is looked at, so a client guessing tokens is slowed too.
//
// # Faults
//
// Options.Faults (the sync/sim grammar) applies after throttling: 429 (DRF's answer, with Retry-After
// when the spec gives one), 503 (the load balancer's HTML page), drop and truncate after the patient
// was created (the client sees a cut answer; its retry meets 409, which means done), slow, stall,
// trickle, close, redirect. The IIS page, endless bodies and the gzip bomb do not apply here.
//
// # Readback
//
// Patients and Patient read back what was registered (workspace, MRN, regimen, site, time); over HTTP,
// GET /sim/patients with a workspace's token lists its patients. Count reports what happened:
// "ingest" (requests that reached validation), statuses ("201", "400", "409", "415", …), "throttled",
// and the faults met.
package sureadhere
